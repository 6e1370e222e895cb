#include "CEngageWebMParser.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

#include <webm/callback.h>
#include <webm/file_reader.h>
#include <webm/status.h>
#include <webm/webm_parser.h>

namespace {

void copyString(char *destination, size_t capacity, const std::string &source) {
    if (capacity == 0) return;
    std::snprintf(destination, capacity, "%s", source.c_str());
}

class SummaryCallback : public webm::Callback {
public:
    explicit SummaryCallback(CEngageWebMSummary *summary) : summary_(summary) {}

    webm::Status OnEbml(const webm::ElementMetadata &, const webm::Ebml &ebml) override {
        copyString(summary_->docType, sizeof summary_->docType, ebml.doc_type.value());
        summary_->docTypeVersion = ebml.doc_type_version.value();
        summary_->docTypeReadVersion = ebml.doc_type_read_version.value();
        return webm::Status(webm::Status::kOkCompleted);
    }

    webm::Status OnInfo(const webm::ElementMetadata &, const webm::Info &info) override {
        summary_->timecodeScale = info.timecode_scale.value();
        copyString(summary_->writingApp, sizeof summary_->writingApp, info.writing_app.value());
        return webm::Status(webm::Status::kOkCompleted);
    }

    webm::Status OnTrackEntry(const webm::ElementMetadata &, const webm::TrackEntry &entry) override {
        if (summary_->trackCount >= CENGAGE_WEBM_MAX_TRACKS) return webm::Status(webm::Status::kOkCompleted);
        CEngageWebMTrackSummary &track = summary_->tracks[summary_->trackCount++];
        track.number = entry.track_number.value();
        track.type = static_cast<uint64_t>(entry.track_type.value());
        copyString(track.codecId, sizeof track.codecId, entry.codec_id.value());
        track.codecDelay = entry.codec_delay.value();
        track.seekPreRoll = entry.seek_pre_roll.value();
        track.codecPrivateLength = entry.codec_private.value().size();
        if (entry.video.is_present()) {
            track.width = entry.video.value().pixel_width.value();
            track.height = entry.video.value().pixel_height.value();
        }
        if (entry.audio.is_present()) {
            track.samplingFrequency = entry.audio.value().sampling_frequency.value();
            track.channels = entry.audio.value().channels.value();
        }
        return webm::Status(webm::Status::kOkCompleted);
    }

    webm::Status OnClusterBegin(const webm::ElementMetadata &, const webm::Cluster &cluster,
                                webm::Action *action) override {
        summary_->clusterCount++;
        clusterTimecode_ = static_cast<int64_t>(cluster.timecode.value());
        *action = webm::Action::kRead;
        return webm::Status(webm::Status::kOkCompleted);
    }

    webm::Status OnSimpleBlockBegin(const webm::ElementMetadata &, const webm::SimpleBlock &block,
                                    webm::Action *action) override {
        current_ = noteBlock(block, block.is_key_frame);
        *action = webm::Action::kRead;
        return webm::Status(webm::Status::kOkCompleted);
    }

    webm::Status OnBlockBegin(const webm::ElementMetadata &, const webm::Block &block, webm::Action *action) override {
        // A Block in a BlockGroup carries no keyframe flag; we never write them, so count it as not key.
        current_ = noteBlock(block, false);
        *action = webm::Action::kRead;
        return webm::Status(webm::Status::kOkCompleted);
    }

    webm::Status OnFrame(const webm::FrameMetadata &metadata, webm::Reader *reader,
                         std::uint64_t *bytesRemaining) override {
        // Read rather than Skip: FileReader skips with fseek, which succeeds past the end of a
        // truncated file and would count a cut-off frame as whole.
        std::uint8_t buffer[4096];
        while (*bytesRemaining > 0) {
            const std::size_t wanted = static_cast<std::size_t>(std::min<std::uint64_t>(sizeof buffer, *bytesRemaining));
            std::uint64_t got = 0;
            const webm::Status status = reader->Read(wanted, buffer, &got);
            *bytesRemaining -= got;
            if (status.code == webm::Status::kOkPartial && got > 0) continue;
            if (!status.completed_ok()) return status;
        }
        if (current_ != nullptr) {
            current_->frameCount++;
            current_->frameBytes += metadata.size;
        }
        return webm::Status(webm::Status::kOkCompleted);
    }

private:
    CEngageWebMTrackSummary *noteBlock(const webm::Block &block, bool key) {
        CEngageWebMTrackSummary *track = nullptr;
        for (size_t i = 0; i < summary_->trackCount; i++)
            if (summary_->tracks[i].number == block.track_number) track = &summary_->tracks[i];
        if (track == nullptr) return nullptr;
        if (block.timecode < 0) summary_->blocksBeforeClusterStart++;
        const uint64_t scale = summary_->timecodeScale == 0 ? 1000000 : summary_->timecodeScale;
        const int64_t ms = (clusterTimecode_ + block.timecode) * static_cast<int64_t>(scale) / 1000000;
        if (track->blockCount == 0) {
            track->firstTimestampMs = ms;
        } else if (ms < track->lastTimestampMs) {
            track->decreasingTimestamps++;
        }
        track->lastTimestampMs = ms;
        track->blockCount++;
        if (key) track->keyframeCount++;
        return track;
    }

    CEngageWebMSummary *summary_;
    CEngageWebMTrackSummary *current_ = nullptr;
    int64_t clusterTimecode_ = 0;
};

}  // namespace

extern "C" int CEngageWebMParser_summarize(const char *path, CEngageWebMSummary *out, char *error,
                                           size_t errorLength) {
    std::memset(out, 0, sizeof *out);
    if (error != nullptr && errorLength > 0) error[0] = '\0';
    FILE *file = std::fopen(path, "rb");
    if (file == nullptr) {
        if (error != nullptr) copyString(error, errorLength, std::string("cannot open: ") + std::strerror(errno));
        return -1;
    }
    webm::FileReader reader(file);  // owns and closes the file
    SummaryCallback callback(out);
    webm::WebmParser parser;
    webm::Status status = parser.Feed(&callback, &reader);
    out->status = status.code;
    out->isParsingError = status.is_parsing_error() ? 1 : 0;
    out->position = reader.Position();
    if (!status.completed_ok() && error != nullptr)
        copyString(error, errorLength, "libwebm status " + std::to_string(status.code) + " at byte " +
                                           std::to_string(reader.Position()));
    return status.completed_ok() ? 0 : status.code;
}
