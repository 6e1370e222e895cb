import HTTPTypes
import Hummingbird

/// A request the API refuses, with the status and a message for the caller (a JSON error body).
struct APIProblem: Error, Sendable {
    var status: HTTPResponse.Status
    var message: String

    static func badRequest(_ message: String) -> APIProblem { APIProblem(status: .badRequest, message: message) }
    static func notFound(_ message: String) -> APIProblem { APIProblem(status: .notFound, message: message) }
    static func unavailable(_ message: String) -> APIProblem { APIProblem(status: .serviceUnavailable, message: message) }
    static func conflict(_ message: String) -> APIProblem { APIProblem(status: .conflict, message: message) }

    var httpError: HTTPError { HTTPError(status, message: message) }
}
