import Foundation
import HTTPTypes
import Hummingbird
import MeetingKit
import OperatorInput
import Recorder

/// The HTTP API (docs/api.md; the contract is API/openapi.json, served at `/v1/openapi.json`).
enum ServiceRouter {
    static func make(registry: RecordingRegistry, metrics: ServiceMetrics, bearerToken: String?)
        -> Router<BasicRequestContext> {
        let router = Router()
        router.add(middleware: ProblemMiddleware())
        router.add(middleware: BearerAuthentication(token: bearerToken, open: ["/healthz", "/readyz"]))

        router.get("/healthz") { _, _ in Status(status: "ok") }
        router.get("/readyz") { _, _ -> Response in
            if let refusal = await registry.admissionRefusal() {
                throw APIProblem.unavailable(refusal)
            }
            return try jsonResponse(Status(status: "ready"), status: .ok)
        }
        router.get("/metrics") { _, _ -> Response in
            await registry.refreshMetrics()
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: metrics.prometheusText())))
        }
        router.get("/v1/openapi.json") { _, _ -> Response in
            guard let url = Bundle.module.url(forResource: "openapi", withExtension: "json"),
                  let document = try? Data(contentsOf: url) else {
                throw APIProblem(status: .internalServerError, message: "the OpenAPI document is missing from this build")
            }
            var headers = HTTPFields()
            headers[.contentType] = "application/json"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: document)))
        }

        router.post("/v1/recordings") { request, context -> Response in
            let body = try await decode(RecordingRequest.self, from: request, context: context)
            let recording = try await registry.create(body)
            return try jsonResponse(await recording.view(), status: .created)
        }
        router.get("/v1/recordings") { _, _ -> Response in
            var views: [RecordingView] = []
            for recording in await registry.all() { views.append(await recording.view()) }
            return try jsonResponse(RecordingList(recordings: views), status: .ok)
        }
        router.get("/v1/recordings/{id}") { _, context -> Response in
            let recording = try await find(context, in: registry)
            return try jsonResponse(await recording.view(), status: .ok)
        }
        router.delete("/v1/recordings/{id}") { _, context -> Response in
            let recording = try await find(context, in: registry)
            await recording.stop()
            return try jsonResponse(await recording.view(), status: .ok)
        }
        router.post("/v1/recordings/{id}/chat") { request, context -> Response in
            let recording = try await find(context, in: registry)
            let body = try await decode(ChatRequest.self, from: request, context: context)
            guard !body.text.isEmpty, body.text.utf8.count <= 2_000, !body.text.contains(where: \.isNewline) else {
                throw APIProblem.badRequest("text: one line of 1 to 2000 bytes")
            }
            guard recording.isActive else { throw APIProblem.conflict("recording \(recording.id) has ended") }
            let delivered = await recording.meeting.post(body.text, kind: .announcement)
            return try jsonResponse(ChatDelivery(delivered: delivered), status: .ok)
        }
        return router
    }

    private static func find(_ context: BasicRequestContext, in registry: RecordingRegistry) async throws -> ServiceRecording {
        let id = try context.parameters.require("id")
        guard let recording = await registry.recording(id) else { throw APIProblem.notFound("no recording \(id)") }
        return recording
    }

    /// The body as `type`, or a 400 that says what is wrong with it; bodies are small, at most 64 KiB.
    private static func decode<T: Decodable>(_ type: T.Type, from request: Request, context: BasicRequestContext)
        async throws -> T {
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: 64 * 1024)
        } catch {
            throw APIProblem(status: .contentTooLarge, message: "the body is larger than 64 KiB")
        }
        do {
            return try JSONDecoder().decode(T.self, from: Data(buffer.readableBytesView))
        } catch let error as DecodingError {
            throw APIProblem.badRequest("the body is not the JSON this endpoint takes: \(DecodingProblem.describe(error))")
        } catch {
            throw APIProblem.badRequest("the body is not JSON: \(error)")
        }
    }

    static func jsonResponse<T: Encodable>(_ value: T, status: HTTPResponse.Status) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: try encoder.encode(value))))
    }

    struct Status: ResponseEncodable {
        var status: String
    }
}

/// Turns an `APIProblem` into its status and a JSON body `{"error": {"message": ...}}`, the shape
/// Hummingbird gives errors with a message, and gives Hummingbird's bodiless ones (unknown routes) a message.
struct ProblemMiddleware: RouterMiddleware {
    typealias Context = BasicRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let problem as APIProblem {
            throw problem.httpError
        } catch let error as HTTPError where error.body == nil {
            // Hummingbird's own refusals (no such route) carry no body; every error of this API has one.
            throw HTTPError(error.status, headers: error.headers, message: error.status.reasonPhrase)
        }
    }
}

/// A decoding error in words a caller can act on: which field, what was wrong.
enum DecodingProblem {
    static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            let names = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }
            return names.isEmpty ? "the body" : names.joined(separator: ".")
        }
        switch error {
        case .keyNotFound(let key, let context): return "\(path(context)) needs '\(key.stringValue)'"
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            return "\(path(context)): \(context.debugDescription)"
        @unknown default: return "\(error)"
        }
    }
}
