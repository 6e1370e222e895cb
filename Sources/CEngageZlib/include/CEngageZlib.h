#ifndef CENGAGE_ZLIB_H
#define CENGAGE_ZLIB_H
// zlib's init functions are macros that pass the library version and struct size;
// Swift cannot call macros, so these wrappers do it.

#include <zlib.h>

// Starts a gzip-only (RFC 1952) inflate stream; returns a zlib status (Z_OK on success).
int cengage_gzip_inflate_init(z_stream *stream);

// Starts a gzip (RFC 1952) deflate stream at the given level; the tests' server compresses with it.
int cengage_gzip_deflate_init(z_stream *stream, int level);

#endif
