#include "CEngageZlib.h"

int cengage_gzip_inflate_init(z_stream *stream) {
    // 16 + MAX_WBITS: accept the gzip wrapper only, with the largest window.
    return inflateInit2(stream, 16 + MAX_WBITS);
}

int cengage_gzip_deflate_init(z_stream *stream, int level) {
    return deflateInit2(stream, level, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
}
