import Testing

/// Every test that runs browsers, aiortc peers and the bot: one at a time, since each meeting alone
/// keeps this machine's two cores busy, and two at once would make media tests flaky for no reason.
@Suite(.serialized) struct InteropTests {}
