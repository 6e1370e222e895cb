import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Calls `engage-bot service` over real HTTP on loopback, and checks every answer against the OpenAPI
/// document the repository keeps (`OpenAPIContract`): a documented status, a body of the documented shape.
final class ServiceClient: @unchecked Sendable {
    struct Answer {
        var status: Int
        var body: Data
        var contentType: String

        var json: [String: Any] {
            get throws {
                guard let object = try JSONSerialization.jsonObject(with: body) as? [String: Any] else {
                    throw TestFailure("not a JSON object: \(String(decoding: body, as: UTF8.self))")
                }
                return object
            }
        }
        var text: String { String(decoding: body, as: UTF8.self) }
    }

    let base: URL
    let contract: OpenAPIContract
    var token: String?
    /// Every (method, path template, status) answered, to show that each documented operation was tried.
    private(set) var exercised: Set<String> = []
    private(set) var violations: [String] = []

    init(port: Int, contract: OpenAPIContract) {
        base = URL(string: "http://127.0.0.1:\(port)")!
        self.contract = contract
    }

    /// `template` is the documented path (`/v1/recordings/{id}`); `path` the one asked for.
    @discardableResult
    func call(_ method: String, _ path: String, template: String? = nil, json body: Any? = nil, rawBody: Data? = nil,
              timeout: TimeInterval = 60) throws -> Answer {
        var request = URLRequest(url: base.appendingPathComponent(path))
        request.httpMethod = method
        request.timeoutInterval = timeout
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        if let body {
            request.httpBody = try JSONSerialization.data(withJSONObject: body)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        } else if let rawBody {
            request.httpBody = rawBody
        }
        let box = ResultBox()
        let done = DispatchSemaphore(value: 0)
        URLSession.shared.dataTask(with: request) { data, response, error in
            box.set(data: data, response: response as? HTTPURLResponse, error: error)
            done.signal()
        }.resume()
        guard done.wait(timeout: .now() + timeout + 5) == .success else { throw TestFailure("\(method) \(path): no answer") }
        let (data, response, error) = box.value
        guard let response else { throw TestFailure("\(method) \(path): \(error.map { "\($0)" } ?? "no response")") }
        let answer = Answer(status: response.statusCode, body: data ?? Data(),
                            contentType: response.value(forHTTPHeaderField: "Content-Type") ?? "")
        let operationPath = template ?? path
        exercised.insert("\(method) \(operationPath) \(answer.status)")
        violations += contract.check(method: method, path: operationPath, status: answer.status,
                                     contentType: answer.contentType, body: answer.body)
        return answer
    }

    private final class ResultBox: @unchecked Sendable {
        private let lock = NSLock()
        private var stored: (Data?, HTTPURLResponse?, (any Error)?) = (nil, nil, nil)
        func set(data: Data?, response: HTTPURLResponse?, error: (any Error)?) { lock.withLock { stored = (data, response, error) } }
        var value: (Data?, HTTPURLResponse?, (any Error)?) { lock.withLock { stored } }
    }
}
