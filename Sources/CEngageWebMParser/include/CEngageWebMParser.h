#ifndef CENGAGE_WEBM_PARSER_H
#define CENGAGE_WEBM_PARSER_H
// A C view of libwebm's parser, used by tests as an independent reader of our files.

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define CENGAGE_WEBM_MAX_TRACKS 8

typedef struct {
    uint64_t number;
    uint64_t type;              // Matroska TrackType: 1 video, 2 audio
    char codecId[32];
    uint64_t width, height;     // video
    double samplingFrequency;   // audio
    uint64_t channels;          // audio
    uint64_t codecDelay, seekPreRoll;
    uint64_t codecPrivateLength;
    uint64_t blockCount;
    uint64_t keyframeCount;
    uint64_t frameCount;        // frames read whole (a truncated last frame is not counted)
    uint64_t frameBytes;
    int64_t firstTimestampMs;   // cluster timestamp + block offset, scaled to milliseconds
    int64_t lastTimestampMs;
    uint64_t decreasingTimestamps;  // blocks earlier than the previous block of the same track
} CEngageWebMTrackSummary;

typedef struct {
    char docType[16];
    uint64_t docTypeVersion, docTypeReadVersion;
    uint64_t timecodeScale;
    char writingApp[64];
    uint64_t clusterCount;
    uint64_t blocksBeforeClusterStart;  // negative relative block timestamps
    size_t trackCount;
    CEngageWebMTrackSummary tracks[CENGAGE_WEBM_MAX_TRACKS];
    int32_t status;             // libwebm Status::code where Feed stopped (0: completed)
    int isParsingError;         // Status::is_parsing_error(): malformed, not merely truncated
    uint64_t position;          // bytes consumed when parsing stopped
} CEngageWebMSummary;

// Parses the whole file. Returns 0 when libwebm completed without error, -1 when the file
// cannot be opened, otherwise the libwebm status code (also in out->status); `out` holds
// whatever was parsed before parsing stopped.
int CEngageWebMParser_summarize(const char *path, CEngageWebMSummary *out, char *error, size_t errorLength);

#ifdef __cplusplus
}
#endif

#endif
