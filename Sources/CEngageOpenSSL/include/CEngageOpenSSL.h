#ifndef CENGAGE_OPENSSL_H
#define CENGAGE_OPENSSL_H
// OpenSSL for Swift: the headers, plus functions for what Swift cannot import (macros).
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <openssl/bio.h>
#include <openssl/rand.h>
#include <stddef.h>
#include <stdint.h>

/// Fills `count` bytes with cryptographically strong randomness; returns 1 on success.
int CEngageOpenSSL_random_bytes(uint8_t *buffer, size_t count);

#endif
