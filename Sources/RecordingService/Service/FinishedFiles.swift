import Foundation

/// A file a recording will not write again: a finalized WebM when its connection ended, the transcript and
/// the manifest when the recording ended.
struct FinishedFile: Sendable {
    var path: String
    /// `recording`, `transcript` or `manifest`.
    var kind: String
    var recording: WebhookEvent.Recording
    var participant: String?
}

/// Where finished files go: the `--on-finalized` command and the bucket, each if configured.
struct FinishedFiles: Sendable {
    var hook: FinalizedFileHook?
    var uploads: Uploads?

    var isEmpty: Bool { hook == nil && uploads == nil }

    func finished(_ file: FinishedFile) {
        hook?.finished(.init(path: file.path, kind: file.kind, recordingID: file.recording.id, participant: file.participant))
        uploads?.enqueue(file)
    }
}
