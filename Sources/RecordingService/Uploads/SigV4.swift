import Foundation
import MeetingKit
import Mesh

/// AWS Signature Version 4 for S3 requests (docs/api.md, Uploads): a pure function of the request, the time
/// and the credentials, so it is checked against the published example without any server.
public enum SigV4 {
    public struct Credentials: Sendable, Equatable {
        public var accessKey: String
        public var secretKey: String
        /// For temporary credentials; sent as `x-amz-security-token` and signed.
        public var sessionToken: String?

        public init(accessKey: String, secretKey: String, sessionToken: String? = nil) {
            self.accessKey = accessKey
            self.secretKey = secretKey
            self.sessionToken = sessionToken
        }
    }

    public struct Request: Sendable {
        public var method: String
        /// Already encoded as `uriEncode(_:keepingSlashes: true)` makes it: exactly what goes on the wire.
        public var path: String
        public var query: [(name: String, value: String)]
        /// Every header to sign (Host included); `x-amz-date`, `x-amz-content-sha256` and the session token
        /// are added by `sign`.
        public var headers: [(name: String, value: String)]
        public var payloadSHA256: String

        public init(method: String, path: String, query: [(name: String, value: String)] = [],
                    headers: [(name: String, value: String)], payloadSHA256: String) {
            self.method = method
            self.path = path
            self.query = query
            self.headers = headers
            self.payloadSHA256 = payloadSHA256
        }
    }

    /// The headers to add to the request: `x-amz-date`, `x-amz-content-sha256`, the token if any, and
    /// `Authorization`.
    public static func sign(_ request: Request, at date: Date, region: String, service: String = "s3",
                            credentials: Credentials) -> [(name: String, value: String)] {
        let amzDate = timestamp(date)
        let day = String(amzDate.prefix(8))
        var added: [(name: String, value: String)] = [("x-amz-content-sha256", request.payloadSHA256), ("x-amz-date", amzDate)]
        if let token = credentials.sessionToken { added.append(("x-amz-security-token", token)) }
        let headers = (request.headers + added)
            .map { (name: $0.name.lowercased(), value: $0.value.trimmingCharacters(in: .whitespaces)) }
            .sorted { $0.name < $1.name }
        let signedHeaders = headers.map(\.name).joined(separator: ";")
        let encodedQuery: [(name: String, value: String)] = request.query.map { parameter in
            (uriEncode(parameter.name, keepingSlashes: false), uriEncode(parameter.value, keepingSlashes: false))
        }
        let sortedQuery = encodedQuery.sorted { $0.name == $1.name ? $0.value < $1.value : $0.name < $1.name }
        let canonicalQuery = sortedQuery.map { "\($0.name)=\($0.value)" }.joined(separator: "&")
        let canonicalHeaders = headers.map { "\($0.name):\($0.value)\n" }.joined()
        let path = request.path.isEmpty ? "/" : request.path
        let canonicalRequest: String = [request.method, path, canonicalQuery, canonicalHeaders, signedHeaders,
                                        request.payloadSHA256].joined(separator: "\n")
        let scope = "\(day)/\(region)/\(service)/aws4_request"
        let stringToSign = ["AWS4-HMAC-SHA256", amzDate, scope, hex(Crypto.sha256(Array(canonicalRequest.utf8)))]
            .joined(separator: "\n")
        var key = Array("AWS4\(credentials.secretKey)".utf8)
        for part in [day, region, service, "aws4_request"] { key = Crypto.hmacSHA256(key: key, data: Array(part.utf8)) }
        let signature = hex(Crypto.hmacSHA256(key: key, data: Array(stringToSign.utf8)))
        let authorization = "AWS4-HMAC-SHA256 Credential=\(credentials.accessKey)/\(scope),SignedHeaders=\(signedHeaders),Signature=\(signature)"
        return added + [("Authorization", authorization)]
    }

    /// RFC 3986 unreserved characters stay, everything else is %XX of its UTF-8 bytes (uppercase hex), as
    /// SigV4 requires; object keys keep their slashes.
    public static func uriEncode(_ text: String, keepingSlashes: Bool) -> String {
        var encoded = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."),
                 UInt8(ascii: "~"):
                encoded.append(Character(Unicode.Scalar(byte)))
            case UInt8(ascii: "/") where keepingSlashes:
                encoded.append("/")
            default:
                encoded += String(format: "%%%02X", byte)
            }
        }
        return encoded
    }

    public static func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

    public static func payloadHash(_ body: [UInt8]) -> String { hex(Crypto.sha256(body)) }

    /// `yyyyMMdd'T'HHmmss'Z'` in UTC. A date no calendar can place (never the clock's) signs as the epoch,
    /// which the server refuses as expired, rather than trapping.
    static func timestamp(_ date: Date) -> String {
        ISOTime.compactUTC(date) ?? "19700101T000000Z"
    }
}
