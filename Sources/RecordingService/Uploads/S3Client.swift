import Foundation
import News

/// Where finished files go: an S3-compatible bucket, reached over HTTP(S) with path-style addressing
/// (`ENDPOINT/BUCKET/KEY`), which AWS and every compatible server accept.
public struct S3Destination: Sendable {
    public var endpoint: URL
    public var bucket: String
    public var region: String
    /// Put before every key, e.g. `recordings/`.
    public var prefix: String
    public var credentials: SigV4.Credentials
    /// Files larger than this go up in parts of this size (S3's minimum part is 5 MiB).
    public var partSize: Int

    public init(endpoint: URL, bucket: String, region: String = "us-east-1", prefix: String = "",
                credentials: SigV4.Credentials, partSize: Int = 8 << 20) {
        self.endpoint = endpoint
        self.bucket = bucket
        self.region = region
        self.prefix = prefix
        self.credentials = credentials
        self.partSize = partSize
    }
}

/// PUT for small files, multipart upload (create, parts, complete; abort on failure) for large ones. Every
/// request is signed with SigV4 over the exact bytes sent.
struct S3Client: Sendable {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    let destination: S3Destination
    let fetcher: HTTPFetcher

    /// Uploads the file at `path` as `key`; returns how many requests it took.
    @discardableResult
    func upload(path: String, key: String) async throws -> Int {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw Failure(description: "cannot open \(path)") }
        defer { try? handle.close() }
        let size = Int((try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0)
        if size <= destination.partSize {
            let body = Array(try handle.readToEnd() ?? Data())
            try await request("PUT", key: key, body: body)
            return 1
        }
        let created = try await request("POST", key: key, query: [("uploads", "")], body: [])
        guard let uploadID = Self.element("UploadId", in: created.body) else {
            throw Failure(description: "no UploadId in the reply to starting a multipart upload of \(key)")
        }
        var parts: [(number: Int, etag: String)] = []
        do {
            while let data = try handle.read(upToCount: destination.partSize), !data.isEmpty {
                let number = parts.count + 1
                let reply = try await request("PUT", key: key, query: [("partNumber", String(number)), ("uploadId", uploadID)],
                                              body: Array(data))
                guard let etag = reply.header("ETag") else { throw Failure(description: "part \(number) of \(key) has no ETag") }
                parts.append((number, etag))
            }
            let completion = "<CompleteMultipartUpload>"
                + parts.map { "<Part><PartNumber>\($0.number)</PartNumber><ETag>\(Self.escaped($0.etag))</ETag></Part>" }.joined()
                + "</CompleteMultipartUpload>"
            let reply = try await request("POST", key: key, query: [("uploadId", uploadID)], body: Array(completion.utf8))
            // S3 can answer 200 and still report an error in the body.
            if Self.element("Code", in: reply.body) != nil {
                throw Failure(description: "completing the upload of \(key) failed: \(String(decoding: reply.body.prefix(300), as: UTF8.self))")
            }
        } catch {
            _ = try? await request("DELETE", key: key, query: [("uploadId", uploadID)], body: [])
            throw error
        }
        return parts.count + 2
    }

    /// Whether `key` exists with `bytes` bytes (HEAD).
    func exists(key: String, bytes: Int) async -> Bool {
        guard let reply = try? await request("HEAD", key: key, body: [], allowingFailure: true) else { return false }
        return reply.status == 200 && reply.header("Content-Length").flatMap(Int.init) == bytes
    }

    @discardableResult
    private func request(_ method: String, key: String, query: [(String, String)] = [], body: [UInt8],
                         allowingFailure: Bool = false) async throws -> HTTPFetcher.Reply {
        let base = destination.endpoint.absoluteString.hasSuffix("/")
            ? String(destination.endpoint.absoluteString.dropLast()) : destination.endpoint.absoluteString
        let basePath = destination.endpoint.path(percentEncoded: true).hasSuffix("/")
            ? String(destination.endpoint.path(percentEncoded: true).dropLast()) : destination.endpoint.path(percentEncoded: true)
        let objectPath = "/" + SigV4.uriEncode(destination.bucket, keepingSlashes: false) + "/"
            + SigV4.uriEncode(destination.prefix + key, keepingSlashes: true)
        let queryText = query.map { "\(SigV4.uriEncode($0.0, keepingSlashes: false))=\(SigV4.uriEncode($0.1, keepingSlashes: false))" }
            .joined(separator: "&")
        guard let url = URL(string: base + objectPath + (queryText.isEmpty ? "" : "?" + queryText)),
              let host = destination.endpoint.host
        else { throw Failure(description: "cannot form a URL for \(key) at \(destination.endpoint)") }
        let secure = destination.endpoint.scheme?.lowercased() == "https"
        let port = destination.endpoint.port
        let hostHeader = port.map { $0 == (secure ? 443 : 80) ? host : "\(host):\($0)" } ?? host
        let payloadHash = SigV4.payloadHash(body)
        let signed = SigV4.sign(
            SigV4.Request(method: method, path: basePath + objectPath, query: query.map { (name: $0.0, value: $0.1) },
                          headers: [("Host", hostHeader)], payloadSHA256: payloadHash),
            at: Date(), region: destination.region, credentials: destination.credentials)
        let reply = try await fetcher.send(method, url, body: body, headers: signed.map { ($0.name, $0.value) })
        guard allowingFailure || (200...299).contains(reply.status) else {
            throw Failure(description: "\(method) \(destination.prefix + key): HTTP \(reply.status)")
        }
        return reply
    }

    /// The text of the first `<name>` element: enough of S3's XML for an upload id or an error code.
    static func element(_ name: String, in body: [UInt8]) -> String? {
        let text = String(decoding: body, as: UTF8.self)
        guard let start = text.range(of: "<\(name)>"), let end = text.range(of: "</\(name)>", range: start.upperBound..<text.endIndex)
        else { return nil }
        return String(text[start.upperBound..<end.lowerBound])
    }

    static func escaped(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "\"", with: "&quot;")
            .replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }
}
