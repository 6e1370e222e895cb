import Foundation
import Logging
import MeetingKit
import News
import ServiceLifecycle
import Synchronization

/// Finished files on their way to the bucket (docs/api.md, Uploads): queued on disk (`.upload-outbox`), so a
/// restart uploads what was pending, and uploaded one at a time, oldest first, with retries. The local copy
/// stays. The object key is the file's path under the output folder (`ID/SESSION/NAME`), after the prefix.
final class Uploads: Sendable {
    struct Job: Codable, Sendable {
        var path: String
        var key: String
        var kind: String
        var participant: String?
        var recording: WebhookEvent.Recording
    }

    let queue: DurableQueue
    let destination: S3Destination
    private let outputRoot: String
    /// Files confirmed in the bucket since this process started (the API's `uploaded` state).
    private let confirmed = Mutex<Set<String>>([])
    private let logger: Logger

    init(destination: S3Destination, outputRoot: String, logger: Logger) throws {
        self.destination = destination
        self.outputRoot = (outputRoot as NSString).standardizingPath
        self.logger = logger
        queue = try DurableQueue(name: "uploads", directory: (outputRoot as NSString).appendingPathComponent(".upload-outbox"),
                                 logger: logger)
    }

    func enqueue(_ file: FinishedFile) {
        let path = (file.path as NSString).standardizingPath
        let key = path.hasPrefix(outputRoot + "/") ? String(path.dropFirst(outputRoot.count + 1)) : (path as NSString).lastPathComponent
        let job = Job(path: path, key: key, kind: file.kind, participant: file.participant, recording: file.recording)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let bytes = try? Array(encoder.encode(job)) else { return }
        queue.enqueue { _, _ in (bytes, key) }
    }

    func markUploaded(_ path: String) { _ = confirmed.withLock { $0.insert((path as NSString).standardizingPath) } }

    func isUploaded(_ path: String) -> Bool { confirmed.withLock { $0.contains((path as NSString).standardizingPath) } }

    func location(of key: String) -> String { "s3://\(destination.bucket)/\(destination.prefix)\(key)" }
}

/// Works through the upload queue; each confirmed file becomes a `file.uploaded` webhook.
struct UploadSender: Service {
    let uploads: Uploads
    let fetcher: HTTPFetcher
    let events: DurableQueue?
    let metrics: ServiceMetrics
    let logger: Logger
    let flushTime: Duration

    func run() async throws {
        let client = S3Client(destination: uploads.destination, fetcher: fetcher)
        await DurableQueueWorker(queue: uploads.queue, flushTime: flushTime, logger: logger).run { _, body in
            guard let job = try? JSONDecoder().decode(Uploads.Job.self, from: Data(body)) else {
                return .abandon("an unreadable upload job")
            }
            guard let size = (try? FileManager.default.attributesOfItem(atPath: job.path))?[.size] as? Int else {
                return .abandon("\(job.path) no longer exists, so it cannot be uploaded")
            }
            metrics.uploadAttempted()
            do {
                let requests = try await client.upload(path: job.path, key: job.key)
                uploads.markUploaded(job.path)
                metrics.uploaded(bytes: size)
                logger.info("uploaded \(job.path) to \(uploads.location(of: job.key)) (\(size) bytes, \(requests) request(s))")
                events?.enqueue(event: { sequence, id in
                    WebhookEvent(id: id, type: .fileUploaded, sequence: sequence, createdAt: ISOTime.string(Date()),
                                 recording: job.recording, participant: job.participant,
                                 file: .init(name: (job.path as NSString).lastPathComponent, path: job.path, bytes: size,
                                             location: uploads.location(of: job.key)))
                })
                return .done
            } catch {
                metrics.uploadFailed()
                logger.warning("uploading \(job.path) failed: \(error); retrying")
                return .retry
            }
        }
    }
}
