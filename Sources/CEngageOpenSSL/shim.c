#include "CEngageOpenSSL.h"

int CEngageOpenSSL_random_bytes(uint8_t *buffer, size_t count) {
    return RAND_bytes(buffer, (int)count);
}
