#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <linux/sockios.h>
#include <time.h>
#include "CEngageReceiveTime.h"

int64_t cengage_last_datagram_age(int descriptor) {
    struct timespec received, now;
    if (ioctl(descriptor, SIOCGSTAMPNS, &received) != 0) return -1;
    if (clock_gettime(CLOCK_REALTIME, &now) != 0) return -1;
    return ((int64_t)now.tv_sec - (int64_t)received.tv_sec) * 1000000000 + ((int64_t)now.tv_nsec - (int64_t)received.tv_nsec);
}

int cengage_enable_datagram_stamps(int descriptor) {
    int on = 1;
    return setsockopt(descriptor, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof(on));
}

int cengage_receive_datagrams(int descriptor, uint8_t *buffer, int slot_size,
                              struct cengage_datagram *results, int count) {
    if (count > CENGAGE_MAXIMUM_DATAGRAMS_PER_CALL) count = CENGAGE_MAXIMUM_DATAGRAMS_PER_CALL;
    if (count <= 0 || slot_size <= 0) return 0;
    struct mmsghdr messages[CENGAGE_MAXIMUM_DATAGRAMS_PER_CALL];
    struct iovec vectors[CENGAGE_MAXIMUM_DATAGRAMS_PER_CALL];
    struct sockaddr_storage sources[CENGAGE_MAXIMUM_DATAGRAMS_PER_CALL];
    // Room for one SCM_TIMESTAMPNS (and whatever else a socket option adds) per datagram.
    union { char bytes[CMSG_SPACE(sizeof(struct timespec)) + 64]; struct cmsghdr align; }
        controls[CENGAGE_MAXIMUM_DATAGRAMS_PER_CALL];
    memset(messages, 0, sizeof(struct mmsghdr) * (size_t)count);
    for (int i = 0; i < count; i++) {
        vectors[i].iov_base = buffer + (size_t)i * (size_t)slot_size;
        vectors[i].iov_len = (size_t)slot_size;
        messages[i].msg_hdr.msg_iov = &vectors[i];
        messages[i].msg_hdr.msg_iovlen = 1;
        messages[i].msg_hdr.msg_name = &sources[i];
        messages[i].msg_hdr.msg_namelen = sizeof(struct sockaddr_storage);
        messages[i].msg_hdr.msg_control = controls[i].bytes;
        messages[i].msg_hdr.msg_controllen = sizeof(controls[i].bytes);
    }
    int received;
    do {
        received = recvmmsg(descriptor, messages, (unsigned int)count, MSG_DONTWAIT, NULL);
    } while (received < 0 && errno == EINTR);
    if (received < 0) return (errno == EAGAIN || errno == EWOULDBLOCK) ? 0 : -1;

    struct timespec now;
    int haveNow = clock_gettime(CLOCK_REALTIME, &now) == 0;
    for (int i = 0; i < received; i++) {
        struct cengage_datagram *result = &results[i];
        struct msghdr *header = &messages[i].msg_hdr;
        memset(result, 0, sizeof(*result));
        result->length = (header->msg_flags & MSG_TRUNC) ? -1 : (int32_t)messages[i].msg_len;
        result->age = -1;
        if (sources[i].ss_family == AF_INET && header->msg_namelen >= sizeof(struct sockaddr_in)) {
            struct sockaddr_in *source = (struct sockaddr_in *)&sources[i];
            result->family = 4;
            result->port = ntohs(source->sin_port);
            memcpy(result->address, &source->sin_addr, 4);
        } else if (sources[i].ss_family == AF_INET6 && header->msg_namelen >= sizeof(struct sockaddr_in6)) {
            struct sockaddr_in6 *source = (struct sockaddr_in6 *)&sources[i];
            result->family = 6;
            result->port = ntohs(source->sin6_port);
            memcpy(result->address, &source->sin6_addr, 16);
        }
        if (!haveNow || (header->msg_flags & MSG_CTRUNC)) continue;
        for (struct cmsghdr *control = CMSG_FIRSTHDR(header); control; control = CMSG_NXTHDR(header, control)) {
            if (control->cmsg_level == SOL_SOCKET && control->cmsg_type == SCM_TIMESTAMPNS
                && control->cmsg_len >= CMSG_LEN(sizeof(struct timespec))) {
                struct timespec stamp;
                memcpy(&stamp, CMSG_DATA(control), sizeof(stamp));
                result->age = ((int64_t)now.tv_sec - (int64_t)stamp.tv_sec) * 1000000000
                    + ((int64_t)now.tv_nsec - (int64_t)stamp.tv_nsec);
            }
        }
    }
    return received;
}
