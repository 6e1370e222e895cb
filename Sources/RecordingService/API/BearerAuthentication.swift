import HTTPTypes
import Hummingbird

/// With a token configured, every request but the health probes must carry `Authorization: Bearer TOKEN`.
struct BearerAuthentication: RouterMiddleware {
    typealias Context = BasicRequestContext
    let token: String?
    /// Paths anyone may ask (load balancers' probes).
    let open: Set<String>

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let token, !open.contains(request.uri.path) else { return try await next(request, context) }
        let presented = request.headers[.authorization] ?? ""
        guard Self.constantTimeEqual(Array(presented.utf8), Array("Bearer \(token)".utf8)) else {
            var headers = HTTPFields()
            headers[.wwwAuthenticate] = "Bearer"
            throw HTTPError(.unauthorized, headers: headers, message: "a bearer token is required")
        }
        return try await next(request, context)
    }

    /// Compares without stopping at the first difference, so timing does not tell how much of a guess was right.
    static func constantTimeEqual(_ left: [UInt8], _ right: [UInt8]) -> Bool {
        var difference: UInt8 = left.count == right.count ? 0 : 1
        for index in 0..<max(left.count, right.count) {
            let a = index < left.count ? left[index] : 0
            let b = index < right.count ? right[index] : 0
            difference |= a ^ b
        }
        return difference == 0
    }
}
