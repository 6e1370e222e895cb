// The pure feed model and parser live in their own target (no networking), so the fuzzers can build them
// without SwiftNIO; everything that imports News keeps seeing them.
@_exported import NewsFeed
