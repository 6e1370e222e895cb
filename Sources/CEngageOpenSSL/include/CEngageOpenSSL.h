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

// MARK: - SSL_CTX / SSL macros

/// Returns 1 on success.
int CEngageOpenSSL_SSL_CTX_set_min_proto_version(SSL_CTX *ctx, int version);
/// `list` like "X25519:P-256"; returns 1 on success.
int CEngageOpenSSL_SSL_CTX_set1_groups_list(SSL_CTX *ctx, const char *list);
/// Keeps no sessions for resumption (SSL_SESS_CACHE_OFF): a context shared by every connection would
/// otherwise hold every finished handshake's session. Returns the previous mode.
long CEngageOpenSSL_SSL_CTX_disable_session_cache(SSL_CTX *ctx);
/// SSL_OP_* values, which Swift cannot import (64-bit shift macros), for SSL_CTX_set_options.
extern const uint64_t CEngageOpenSSL_SSL_OP_NO_QUERY_MTU;
extern const uint64_t CEngageOpenSSL_SSL_OP_NO_TICKET;
extern const uint64_t CEngageOpenSSL_SSL_OP_NO_RENEGOTIATION;
/// Returns 1 on success (0 when `mtu` is below OpenSSL's minimum).
int CEngageOpenSSL_SSL_set_mtu(SSL *ssl, long mtu);
int CEngageOpenSSL_DTLS_set_link_mtu(SSL *ssl, long mtu);

// MARK: - DTLS timer

/// Time until OpenSSL's retransmit timer fires, read from its own (real) clock.
/// Returns 1 and sets `microseconds` while a timer runs, 0 when none does.
int CEngageOpenSSL_DTLSv1_get_timeout(SSL *ssl, int64_t *microseconds);
/// 1: a flight was retransmitted, 0: the timer had not expired, -1: gave up (too many timeouts).
int CEngageOpenSSL_DTLSv1_handle_timeout(SSL *ssl);
/// Installs a timer callback starting at `initial_microseconds` and doubling up to 60 s,
/// instead of OpenSSL's fixed 1 s start (RFC 6347 allows a shorter one, tests need one).
/// Returns 1 on success.
int CEngageOpenSSL_DTLS_set_initial_timeout(SSL *ssl, unsigned int initial_microseconds);

// MARK: - Datagram BIO

/// A BIO for DTLS that keeps datagram boundaries in memory, which a memory BIO loses:
/// every DTLS record written becomes its own outbound datagram, every read returns
/// at most the one inbound datagram handed in. It answers the datagram ctrls OpenSSL asks
/// (MTU, overhead, pending) so that OpenSSL sizes records by `SSL_set_mtu` alone.
BIO *CEngageOpenSSL_datagram_bio_new(void);
/// Makes `bytes` the datagram the next read returns, without copying: the caller keeps
/// them alive and unchanged until `clear_inbound`, and drives OpenSSL in between.
void CEngageOpenSSL_datagram_bio_lend_inbound(BIO *bio, const uint8_t *bytes, size_t length);
/// Ends the loan, whether or not OpenSSL read the datagram.
void CEngageOpenSSL_datagram_bio_clear_inbound(BIO *bio);
/// Size of the oldest queued outbound datagram, 0 when the queue is empty.
size_t CEngageOpenSSL_datagram_bio_next_outbound_size(BIO *bio);
/// Moves the oldest outbound datagram into `buffer` (of `capacity` bytes, at least the
/// size reported above) and returns its size; 0 when the queue is empty.
size_t CEngageOpenSSL_datagram_bio_pop_outbound(BIO *bio, uint8_t *buffer, size_t capacity);

// MARK: - Errors

/// Drains OpenSSL's thread-local error queue into `buffer` as "reason; reason".
void CEngageOpenSSL_drain_errors(char *buffer, size_t capacity);

// MARK: - SRTP with AES-GCM (RFC 7714)

/// An AES-GCM context with its key set, for `gcm_seal`/`gcm_open` with a fresh IV per packet.
/// `key_length` 16 or 32; NULL on failure. Free with EVP_CIPHER_CTX_free.
EVP_CIPHER_CTX *CEngageOpenSSL_gcm_new(const uint8_t *key, size_t key_length, int encrypt);
/// Encrypts `length` bytes at `data` in place under the 12-byte `iv`, authenticating `aad` too,
/// and writes the 16-byte tag. Returns 1 on success.
int CEngageOpenSSL_gcm_seal(EVP_CIPHER_CTX *ctx, const uint8_t *iv, const uint8_t *aad, size_t aad_length,
                            uint8_t *data, size_t length, uint8_t *tag);
/// Decrypts `length` bytes at `data` in place if the 16-byte `tag` verifies over them and `aad`.
/// Returns 1 when it does, 0 when it does not (the bytes are then garbage), -1 on an OpenSSL failure.
int CEngageOpenSSL_gcm_open(EVP_CIPHER_CTX *ctx, const uint8_t *iv, const uint8_t *aad, size_t aad_length,
                            uint8_t *data, size_t length, const uint8_t *tag);
/// AES in counter mode over zeros: `length` bytes of keystream from the 16-byte counter block `iv`
/// (RFC 3711's key derivation). `key_length` 16 or 32. Returns 1 on success.
int CEngageOpenSSL_aes_ctr_keystream(const uint8_t *key, size_t key_length, const uint8_t *iv,
                                     uint8_t *output, size_t length);

#endif
