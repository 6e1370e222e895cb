import Foundation
import RecordingService
import Testing

/// S3 request signing against the example AWS publishes for SigV4 (GET object with a Range header).
@Suite struct SigV4Tests {
    @Test func thePublishedGetObjectExampleSignsAlike() {
        let request = SigV4.Request(
            method: "GET", path: "/test.txt",
            headers: [("Host", "examplebucket.s3.amazonaws.com"), ("Range", "bytes=0-9")],
            payloadSHA256: SigV4.payloadHash([]))
        let headers = SigV4.sign(request, at: Date(timeIntervalSince1970: 1_369_353_600), region: "us-east-1",
                                 credentials: .init(accessKey: "AKIAIOSFODNN7EXAMPLE", secretKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"))
        let authorization = headers.first { $0.name == "Authorization" }?.value
        #expect(authorization == "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
            + "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,"
            + "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")
        #expect(headers.first { $0.name == "x-amz-date" }?.value == "20130524T000000Z")
    }

    @Test func keysAreEncodedAsSigV4RequiresAndKeepTheirSlashes() {
        #expect(SigV4.uriEncode("rec 1/alice (screen).webm", keepingSlashes: true) == "rec%201/alice%20%28screen%29.webm")
        #expect(SigV4.uriEncode("a/b~c_d-e.f", keepingSlashes: false) == "a%2Fb~c_d-e.f")
        #expect(SigV4.uriEncode("é", keepingSlashes: true) == "%C3%A9")
    }
}
