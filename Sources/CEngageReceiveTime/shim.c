#include <sys/ioctl.h>
#include <linux/sockios.h>
#include <time.h>
#include "CEngageReceiveTime.h"

int64_t cengage_last_datagram_age(int descriptor) {
    struct timespec received, now;
    if (ioctl(descriptor, SIOCGSTAMPNS, &received) != 0) return -1;
    if (clock_gettime(CLOCK_REALTIME, &now) != 0) return -1;
    return ((int64_t)now.tv_sec - (int64_t)received.tv_sec) * 1000000000 + ((int64_t)now.tv_nsec - (int64_t)received.tv_nsec);
}
