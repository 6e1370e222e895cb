#include "CEngageOpenSSL.h"
#include <stdlib.h>
#include <string.h>
#include <limits.h>

int CEngageOpenSSL_random_bytes(uint8_t *buffer, size_t count) {
    return RAND_bytes(buffer, (int)count);
}

// MARK: - SSL_CTX / SSL macros

int CEngageOpenSSL_SSL_CTX_set_min_proto_version(SSL_CTX *ctx, int version) {
    return (int)SSL_CTX_set_min_proto_version(ctx, version);
}

int CEngageOpenSSL_SSL_CTX_set1_groups_list(SSL_CTX *ctx, const char *list) {
    return (int)SSL_CTX_set1_groups_list(ctx, list);
}

long CEngageOpenSSL_SSL_CTX_disable_session_cache(SSL_CTX *ctx) {
    return SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
}

const uint64_t CEngageOpenSSL_SSL_OP_NO_QUERY_MTU = SSL_OP_NO_QUERY_MTU;
const uint64_t CEngageOpenSSL_SSL_OP_NO_TICKET = SSL_OP_NO_TICKET;
const uint64_t CEngageOpenSSL_SSL_OP_NO_RENEGOTIATION = SSL_OP_NO_RENEGOTIATION;

int CEngageOpenSSL_SSL_set_mtu(SSL *ssl, long mtu) {
    return SSL_set_mtu(ssl, mtu) > 0 ? 1 : 0;
}

int CEngageOpenSSL_DTLS_set_link_mtu(SSL *ssl, long mtu) {
    return DTLS_set_link_mtu(ssl, mtu) > 0 ? 1 : 0;
}

// MARK: - DTLS timer

int CEngageOpenSSL_DTLSv1_get_timeout(SSL *ssl, int64_t *microseconds) {
    struct timeval remaining = {0, 0};
    if (DTLSv1_get_timeout(ssl, &remaining) != 1) return 0;
    *microseconds = (int64_t)remaining.tv_sec * 1000000 + (int64_t)remaining.tv_usec;
    return 1;
}

int CEngageOpenSSL_DTLSv1_handle_timeout(SSL *ssl) {
    return (int)DTLSv1_handle_timeout(ssl);
}

static int initial_timeout_index = -1;
static CRYPTO_ONCE initial_timeout_once = CRYPTO_ONCE_STATIC_INIT;

static void initial_timeout_index_init(void) {
    initial_timeout_index = SSL_get_ex_new_index(0, NULL, NULL, NULL, NULL);
}

static unsigned int initial_timeout_timer(SSL *ssl, unsigned int previous_microseconds) {
    // OpenSSL passes 0 when a flight starts and the last value after each expiry.
    if (previous_microseconds == 0) {
        uintptr_t initial = (uintptr_t)SSL_get_ex_data(ssl, initial_timeout_index);
        return initial > 0 ? (unsigned int)initial : 1000000;
    }
    unsigned int doubled = previous_microseconds * 2;
    return doubled > 60000000 || doubled < previous_microseconds ? 60000000 : doubled;
}

int CEngageOpenSSL_DTLS_set_initial_timeout(SSL *ssl, unsigned int initial_microseconds) {
    if (!CRYPTO_THREAD_run_once(&initial_timeout_once, initial_timeout_index_init)
        || initial_timeout_index < 0) {
        return 0;
    }
    if (!SSL_set_ex_data(ssl, initial_timeout_index, (void *)(uintptr_t)initial_microseconds)) return 0;
    DTLS_set_timer_cb(ssl, initial_timeout_timer);
    return 1;
}

// MARK: - Datagram BIO

typedef struct datagram {
    struct datagram *next;
    size_t length;
    uint8_t bytes[];
} datagram;

typedef struct {
    const uint8_t *inbound;  // borrowed from the caller, see lend_inbound
    size_t inbound_length;
    int has_inbound;
    datagram *outbound_head;
    datagram *outbound_tail;
} datagram_bio_state;

static int datagram_bio_enqueue(datagram_bio_state *state, const uint8_t *data, size_t length) {
    datagram *item = malloc(sizeof(datagram) + length);
    if (item == NULL) return 0;
    item->next = NULL;
    item->length = length;
    memcpy(item->bytes, data, length);
    if (state->outbound_tail != NULL) state->outbound_tail->next = item; else state->outbound_head = item;
    state->outbound_tail = item;
    return 1;
}

enum { dtls_record_header_length = 13 };

static int datagram_bio_write(BIO *bio, const char *data, int length) {
    datagram_bio_state *state = BIO_get_data(bio);
    BIO_clear_retry_flags(bio);
    if (state == NULL || length < 0) return -1;
    // During a handshake OpenSSL writes through a buffering BIO that packs a flight's records
    // into one write (and may overshoot the MTU doing so); split them again so that every
    // record, which OpenSSL does size to the MTU, travels in a datagram of its own.
    const uint8_t *cursor = (const uint8_t *)data;
    size_t remaining = (size_t)length;
    while (remaining > 0) {
        size_t record = remaining;
        if (remaining >= dtls_record_header_length) {
            size_t body = ((size_t)cursor[11] << 8) | (size_t)cursor[12];
            if (dtls_record_header_length + body <= remaining) record = dtls_record_header_length + body;
        }
        if (!datagram_bio_enqueue(state, cursor, record)) return -1;
        cursor += record;
        remaining -= record;
    }
    return length;
}

static int datagram_bio_read(BIO *bio, char *buffer, int capacity) {
    datagram_bio_state *state = BIO_get_data(bio);
    BIO_clear_retry_flags(bio);
    if (state == NULL || capacity < 0) return -1;
    if (!state->has_inbound) {
        // No datagram yet: "try again later", as a non-blocking socket would say.
        BIO_set_retry_read(bio);
        return -1;
    }
    // Like recv(2) on a datagram socket: one datagram per read, excess bytes dropped.
    size_t count = state->inbound_length < (size_t)capacity ? state->inbound_length : (size_t)capacity;
    if (count > 0) memcpy(buffer, state->inbound, count);
    state->inbound = NULL;
    state->inbound_length = 0;
    state->has_inbound = 0;
    return (int)count;
}

static long datagram_bio_ctrl(BIO *bio, int command, long number, void *pointer) {
    (void)bio; (void)number; (void)pointer;
    switch (command) {
    case BIO_CTRL_FLUSH:
        return 1;
    case BIO_CTRL_DGRAM_QUERY_MTU:
    case BIO_CTRL_DGRAM_GET_FALLBACK_MTU:
        // Nothing to learn from a path here: the MTU comes from SSL_set_mtu.
        return 0;
    case BIO_CTRL_DGRAM_GET_MTU_OVERHEAD:
        // The configured MTU already means "bytes of UDP payload".
        return 0;
    case BIO_CTRL_WPENDING:
    case BIO_CTRL_PENDING:
        // Reporting queued datagrams would make OpenSSL shrink the next record to
        // share a datagram with them; every record gets a datagram of its own instead.
        return 0;
    case BIO_CTRL_DGRAM_SET_NEXT_TIMEOUT:
    case BIO_CTRL_DGRAM_SET_CONNECTED:
    case BIO_CTRL_DGRAM_MTU_EXCEEDED:
    case BIO_CTRL_DGRAM_SET_PEEK_MODE:
        return 0;
    default:
        return 0;
    }
}

static int datagram_bio_create(BIO *bio) {
    datagram_bio_state *state = calloc(1, sizeof(datagram_bio_state));
    if (state == NULL) return 0;
    BIO_set_data(bio, state);
    BIO_set_init(bio, 1);
    return 1;
}

static int datagram_bio_destroy(BIO *bio) {
    datagram_bio_state *state = BIO_get_data(bio);
    if (state == NULL) return 1;
    datagram *item = state->outbound_head;
    while (item != NULL) {
        datagram *next = item->next;
        free(item);
        item = next;
    }
    free(state);
    BIO_set_data(bio, NULL);
    BIO_set_init(bio, 0);
    return 1;
}

static BIO_METHOD *datagram_bio_method = NULL;
static CRYPTO_ONCE datagram_bio_method_once = CRYPTO_ONCE_STATIC_INIT;

static void datagram_bio_method_init(void) {
    BIO_METHOD *method = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "CEngageOpenSSL datagram");
    if (method == NULL) return;
    if (!BIO_meth_set_write(method, datagram_bio_write)
        || !BIO_meth_set_read(method, datagram_bio_read)
        || !BIO_meth_set_ctrl(method, datagram_bio_ctrl)
        || !BIO_meth_set_create(method, datagram_bio_create)
        || !BIO_meth_set_destroy(method, datagram_bio_destroy)) {
        BIO_meth_free(method);
        return;
    }
    datagram_bio_method = method;
}

BIO *CEngageOpenSSL_datagram_bio_new(void) {
    if (!CRYPTO_THREAD_run_once(&datagram_bio_method_once, datagram_bio_method_init)
        || datagram_bio_method == NULL) {
        return NULL;
    }
    return BIO_new(datagram_bio_method);
}

void CEngageOpenSSL_datagram_bio_lend_inbound(BIO *bio, const uint8_t *bytes, size_t length) {
    datagram_bio_state *state = BIO_get_data(bio);
    if (state == NULL) return;
    state->inbound = bytes;
    state->inbound_length = length;
    state->has_inbound = 1;
}

void CEngageOpenSSL_datagram_bio_clear_inbound(BIO *bio) {
    datagram_bio_state *state = BIO_get_data(bio);
    if (state == NULL) return;
    state->inbound = NULL;
    state->inbound_length = 0;
    state->has_inbound = 0;
}

size_t CEngageOpenSSL_datagram_bio_next_outbound_size(BIO *bio) {
    datagram_bio_state *state = BIO_get_data(bio);
    if (state == NULL || state->outbound_head == NULL) return 0;
    return state->outbound_head->length;
}

size_t CEngageOpenSSL_datagram_bio_pop_outbound(BIO *bio, uint8_t *buffer, size_t capacity) {
    datagram_bio_state *state = BIO_get_data(bio);
    if (state == NULL || state->outbound_head == NULL) return 0;
    datagram *item = state->outbound_head;
    if (item->length > capacity) return 0;
    memcpy(buffer, item->bytes, item->length);
    size_t length = item->length;
    state->outbound_head = item->next;
    if (state->outbound_head == NULL) state->outbound_tail = NULL;
    free(item);
    return length;
}

// MARK: - Errors

void CEngageOpenSSL_drain_errors(char *buffer, size_t capacity) {
    if (capacity == 0) return;
    buffer[0] = '\0';
    size_t used = 0;
    unsigned long code;
    while ((code = ERR_get_error()) != 0) {
        char line[256];
        ERR_error_string_n(code, line, sizeof(line));
        size_t needed = strlen(line) + (used > 0 ? 2 : 0);
        if (used + needed + 1 > capacity) continue;  // keep draining, drop what does not fit
        if (used > 0) { memcpy(buffer + used, "; ", 2); used += 2; }
        memcpy(buffer + used, line, strlen(line));
        used += strlen(line);
        buffer[used] = '\0';
    }
}

// MARK: - SRTP with AES-GCM

EVP_CIPHER_CTX *CEngageOpenSSL_gcm_new(const uint8_t *key, size_t key_length, int encrypt) {
    const EVP_CIPHER *cipher = key_length == 16 ? EVP_aes_128_gcm() : key_length == 32 ? EVP_aes_256_gcm() : NULL;
    if (cipher == NULL) return NULL;
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    if (ctx == NULL) return NULL;
    if (EVP_CipherInit_ex(ctx, cipher, NULL, NULL, NULL, encrypt ? 1 : 0) != 1
        || EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, 12, NULL) != 1
        || EVP_CipherInit_ex(ctx, NULL, NULL, key, NULL, -1) != 1) {
        EVP_CIPHER_CTX_free(ctx);
        return NULL;
    }
    return ctx;
}

static int gcm_update(EVP_CIPHER_CTX *ctx, const uint8_t *aad, size_t aad_length, uint8_t *data, size_t length) {
    int written = 0;
    if (aad_length > INT_MAX || length > INT_MAX) return 0;
    if (aad_length > 0 && EVP_CipherUpdate(ctx, NULL, &written, aad, (int)aad_length) != 1) return 0;
    if (length > 0 && EVP_CipherUpdate(ctx, data, &written, data, (int)length) != 1) return 0;
    return 1;
}

int CEngageOpenSSL_gcm_seal(EVP_CIPHER_CTX *ctx, const uint8_t *iv, const uint8_t *aad, size_t aad_length,
                            uint8_t *data, size_t length, uint8_t *tag) {
    int written = 0;
    uint8_t none[16];
    if (EVP_CipherInit_ex(ctx, NULL, NULL, NULL, iv, 1) != 1) return 0;
    if (!gcm_update(ctx, aad, aad_length, data, length)) return 0;
    if (EVP_CipherFinal_ex(ctx, none, &written) != 1) return 0;
    return EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, 16, tag) == 1;
}

int CEngageOpenSSL_gcm_open(EVP_CIPHER_CTX *ctx, const uint8_t *iv, const uint8_t *aad, size_t aad_length,
                            uint8_t *data, size_t length, const uint8_t *tag) {
    int written = 0;
    uint8_t none[16];
    if (EVP_CipherInit_ex(ctx, NULL, NULL, NULL, iv, 0) != 1) return -1;
    if (!gcm_update(ctx, aad, aad_length, data, length)) return -1;
    // The tag is only read; OpenSSL's interface takes it as void *.
    if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, 16, (void *)tag) != 1) return -1;
    return EVP_CipherFinal_ex(ctx, none, &written) == 1 ? 1 : 0;
}

int CEngageOpenSSL_aes_ctr_keystream(const uint8_t *key, size_t key_length, const uint8_t *iv,
                                     uint8_t *output, size_t length) {
    const EVP_CIPHER *cipher = key_length == 16 ? EVP_aes_128_ctr() : key_length == 32 ? EVP_aes_256_ctr() : NULL;
    if (cipher == NULL || length > INT_MAX) return 0;
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    if (ctx == NULL) return 0;
    memset(output, 0, length);
    int written = 0;
    int ok = EVP_EncryptInit_ex(ctx, cipher, NULL, key, iv) == 1
        && EVP_EncryptUpdate(ctx, output, &written, output, (int)length) == 1;
    EVP_CIPHER_CTX_free(ctx);
    return ok;
}
