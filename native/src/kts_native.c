/*
 * kts_native: the few socket operations Node.js and the raw-socket / netlink packages cannot
 * do (see native/README.md). Plain C against node_api.h and uv.h; no C++ wrapper.
 *
 * Every failing system call throws a JS Error with `code` (errno name, e.g. 'EPERM'),
 * `errno` (negative, as in Node) and `syscall`; nothing here aborts the process.
 * File descriptors are plain integers owned by the caller, released with close(fd).
 */
#define _GNU_SOURCE
#define NAPI_VERSION 8
#include <node_api.h>
#include <uv.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/ethtool.h>
#include <linux/if_packet.h>
#include <linux/mii.h>
#include <linux/sockios.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#ifndef IPV6_MULTICAST_ALL
#define IPV6_MULTICAST_ALL 29
#endif

#define RECV_BUF_LEN 65536 /* largest IPv6 payload without jumbograms */
#define RECV_BURST 64      /* datagrams read per wake-up before yielding to the loop */

/*
 * A socket read from a uv_poll on Node's loop: an IPv6 raw socket (raw6Open) or a UDP socket
 * with ancillary data (udpListen). `kind` says how a datagram is handed to onPacket.
 */
enum psock_kind { PSOCK_RAW6, PSOCK_UDP4, PSOCK_UDP6 };

typedef struct psock {
  uv_poll_t poll;          /* first member: the handle pointer is the struct pointer */
  napi_env env;
  napi_ref on_packet;
  napi_async_context actx;
  int fd;                  /* -1 once closed */
  int in_callback;         /* onPacket is running: defer releasing N-API resources */
  enum psock_kind kind;
  struct addon *addon;
  struct psock *next;
} psock_t;

/* Per-environment state (main thread and each worker get their own). */
typedef struct addon {
  psock_t *sockets;
  unsigned char buf[RECV_BUF_LEN];
} addon_t;

/* ---------- errors and arguments ---------- */

static const char *errno_name(int err, char *tmp, size_t len) {
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 32))
  const char *n = strerrorname_np(err);
  if (n) return n;
#endif
  return uv_err_name_r(-err, tmp, len);
}

/* Throws Error(`${syscall}[(what)] ${code} (${strerror})`) with code/errno/syscall set. */
static napi_value throw_sys(napi_env env, const char *syscall, const char *what, int err) {
  char tmp[64], msg[256];
  const char *code = errno_name(err, tmp, sizeof tmp);
  snprintf(msg, sizeof msg, "%s%s%s%s %s (%s)", syscall, what ? "(" : "", what ? what : "",
           what ? ")" : "", code, strerror(err));
  napi_value jcode, jmsg, error, v;
  if (napi_create_string_utf8(env, code, NAPI_AUTO_LENGTH, &jcode) != napi_ok ||
      napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &jmsg) != napi_ok ||
      napi_create_error(env, jcode, jmsg, &error) != napi_ok)
    return NULL;
  if (napi_create_int32(env, -err, &v) == napi_ok) napi_set_named_property(env, error, "errno", v);
  if (napi_create_string_utf8(env, syscall, NAPI_AUTO_LENGTH, &v) == napi_ok)
    napi_set_named_property(env, error, "syscall", v);
  napi_throw(env, error);
  return NULL;
}

static napi_value throw_type(napi_env env, const char *msg) {
  napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", msg);
  return NULL;
}

static int get_args(napi_env env, napi_callback_info info, size_t want, napi_value *argv) {
  size_t argc = want;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return 0;
  if (argc < want) {
    throw_type(env, "missing arguments");
    return 0;
  }
  return 1;
}

static int get_int(napi_env env, napi_value v, const char *name, int32_t *out) {
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_number || napi_get_value_int32(env, v, out) != napi_ok) {
    char msg[96];
    snprintf(msg, sizeof msg, "%s must be a number", name);
    throw_type(env, msg);
    return 0;
  }
  return 1;
}

/* A Buffer or any Uint8Array; `want` > 0 demands that exact length. */
static int get_bytes(napi_env env, napi_value v, const char *name, size_t want, unsigned char **data, size_t *len) {
  bool is_ta = false;
  napi_typedarray_type type;
  void *p = NULL;
  char msg[96];
  if (napi_is_typedarray(env, v, &is_ta) != napi_ok || !is_ta ||
      napi_get_typedarray_info(env, v, &type, len, &p, NULL, NULL) != napi_ok || type != napi_uint8_array) {
    snprintf(msg, sizeof msg, "%s must be a Buffer or Uint8Array", name);
    throw_type(env, msg);
    return 0;
  }
  if (want && *len != want) {
    snprintf(msg, sizeof msg, "%s must be %zu bytes long", name, want);
    napi_throw_range_error(env, "ERR_OUT_OF_RANGE", msg);
    return 0;
  }
  *data = p;
  return 1;
}

static napi_value make_int(napi_env env, int64_t n) {
  napi_value v;
  return napi_create_int64(env, n, &v) == napi_ok ? v : NULL;
}

static addon_t *get_addon(napi_env env) {
  void *data = NULL;
  napi_get_instance_data(env, &data);
  return data;
}

/* ---------- AF_PACKET (gratuitous ARP, unsolicited NA) ---------- */

/* packetOpen(): fd. Send only: protocol 0 means the kernel queues nothing to it. */
static napi_value packet_open(napi_env env, napi_callback_info info) {
  (void)info;
  int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return throw_sys(env, "socket", "AF_PACKET", errno);
  return make_int(env, fd);
}

/* packetSend(fd, ifindex, frame): bytes sent. `frame` is a whole Ethernet frame. */
static napi_value packet_send(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  int32_t fd, ifindex;
  unsigned char *frame;
  size_t len;
  if (!get_args(env, info, 3, argv) || !get_int(env, argv[0], "fd", &fd) ||
      !get_int(env, argv[1], "ifindex", &ifindex) || !get_bytes(env, argv[2], "frame", 0, &frame, &len))
    return NULL;
  if (len < ETH_HLEN) {
    napi_throw_range_error(env, "ERR_OUT_OF_RANGE", "frame is shorter than an Ethernet header");
    return NULL;
  }
  struct sockaddr_ll sll;
  memset(&sll, 0, sizeof sll);
  sll.sll_family = AF_PACKET;
  memcpy(&sll.sll_protocol, frame + 12, 2); /* ethertype, already in network order */
  sll.sll_ifindex = ifindex;
  sll.sll_halen = ETH_ALEN;
  memcpy(sll.sll_addr, frame, ETH_ALEN);
  ssize_t n = sendto(fd, frame, len, 0, (struct sockaddr *)&sll, sizeof sll);
  if (n < 0) return throw_sys(env, "sendto", NULL, errno);
  return make_int(env, n);
}

/* ---------- polled sockets (raw6Open, udpListen): reading on Node's loop ---------- */

/* Drops the N-API side of a socket; only ever on the JS thread with the env alive. */
static void psock_release_js(psock_t *r) {
  if (r->on_packet) napi_delete_reference(r->env, r->on_packet);
  if (r->actx) napi_async_destroy(r->env, r->actx);
  r->on_packet = NULL;
  r->actx = NULL;
}

static void psock_free(uv_handle_t *h) { free(h); }

/* Stops polling, closes the descriptor and unlinks the socket; memory goes on close. */
static int psock_shutdown(psock_t *r) {
  psock_t **pp = &r->addon->sockets;
  while (*pp && *pp != r) pp = &(*pp)->next;
  if (*pp) *pp = r->next;
  uv_poll_stop(&r->poll); /* also removes the fd from epoll, so closing it next is safe */
  int rc = close(r->fd);
  int err = errno;
  r->fd = -1;
  uv_close((uv_handle_t *)&r->poll, psock_free);
  return rc < 0 ? err : 0;
}

/* Calls onPacket(...argv) (argv made in the caller's handle scope); an exception is cleared. */
static void psock_call(psock_t *r, size_t argc, napi_value *argv) {
  napi_env env = r->env;
  napi_value cb, global, result;
  if (napi_get_reference_value(env, r->on_packet, &cb) != napi_ok || !cb || napi_get_global(env, &global) != napi_ok)
    return;
  r->in_callback = 1;
  napi_status st = napi_make_callback(env, r->actx, global, cb, argc, argv, &result);
  r->in_callback = 0;
  bool pending = false;
  if (st != napi_ok && napi_is_exception_pending(env, &pending) == napi_ok && pending) {
    napi_value exc; /* the TS wrapper reports errors itself; never let one escape here */
    napi_get_and_clear_last_exception(env, &exc);
  }
}

/* raw6: onPacket(data, src: Buffer(16), dst: Buffer(16), hopLimit, ifindex) */
static void raw6_deliver(psock_t *r, ssize_t n, const struct sockaddr_storage *from, struct msghdr *msg) {
  const struct sockaddr_in6 *src = (const struct sockaddr_in6 *)from;
  struct in6_addr dst;
  int hop_limit = -1;
  int ifindex = 0;
  memset(&dst, 0, sizeof dst);
  for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR(msg, c)) {
    if (c->cmsg_level != IPPROTO_IPV6) continue;
    if (c->cmsg_type == IPV6_PKTINFO && c->cmsg_len >= CMSG_LEN(sizeof(struct in6_pktinfo))) {
      struct in6_pktinfo pi;
      memcpy(&pi, CMSG_DATA(c), sizeof pi);
      dst = pi.ipi6_addr;
      ifindex = (int)pi.ipi6_ifindex;
    } else if (c->cmsg_type == IPV6_HOPLIMIT && c->cmsg_len >= CMSG_LEN(sizeof(int))) {
      memcpy(&hop_limit, CMSG_DATA(c), sizeof hop_limit);
    }
  }
  napi_env env = r->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  napi_value argv[5];
  void *unused;
  if (napi_create_buffer_copy(env, (size_t)n, r->addon->buf, &unused, &argv[0]) == napi_ok &&
      napi_create_buffer_copy(env, 16, &src->sin6_addr, &unused, &argv[1]) == napi_ok &&
      napi_create_buffer_copy(env, 16, &dst, &unused, &argv[2]) == napi_ok &&
      napi_create_int32(env, hop_limit, &argv[3]) == napi_ok &&
      napi_create_int32(env, ifindex, &argv[4]) == napi_ok)
    psock_call(r, 5, argv);
  napi_close_handle_scope(env, scope);
}

/*
 * UDP: onPacket(data, src, srcPort, dst, ttl, ifindex), addresses as text; ttl (IPv4 TTL or
 * IPv6 hop limit) is -1 and dst '' when the kernel gave no such ancillary data.
 */
static void udp_deliver(psock_t *r, ssize_t n, const struct sockaddr_storage *from, struct msghdr *msg) {
  int v6 = r->kind == PSOCK_UDP6;
  char src[INET6_ADDRSTRLEN] = "", dst[INET6_ADDRSTRLEN] = "";
  int ttl = -1, ifindex = 0, port = 0;
  if (v6) {
    const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)from;
    inet_ntop(AF_INET6, &s->sin6_addr, src, sizeof src);
    port = ntohs(s->sin6_port);
  } else {
    const struct sockaddr_in *s = (const struct sockaddr_in *)from;
    inet_ntop(AF_INET, &s->sin_addr, src, sizeof src);
    port = ntohs(s->sin_port);
  }
  for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR(msg, c)) {
    if (v6 && c->cmsg_level == IPPROTO_IPV6) {
      if (c->cmsg_type == IPV6_PKTINFO && c->cmsg_len >= CMSG_LEN(sizeof(struct in6_pktinfo))) {
        struct in6_pktinfo pi;
        memcpy(&pi, CMSG_DATA(c), sizeof pi);
        inet_ntop(AF_INET6, &pi.ipi6_addr, dst, sizeof dst);
        ifindex = (int)pi.ipi6_ifindex;
      } else if (c->cmsg_type == IPV6_HOPLIMIT && c->cmsg_len >= CMSG_LEN(sizeof(int))) {
        memcpy(&ttl, CMSG_DATA(c), sizeof ttl);
      }
    } else if (!v6 && c->cmsg_level == IPPROTO_IP) {
      if (c->cmsg_type == IP_PKTINFO && c->cmsg_len >= CMSG_LEN(sizeof(struct in_pktinfo))) {
        struct in_pktinfo pi;
        memcpy(&pi, CMSG_DATA(c), sizeof pi);
        inet_ntop(AF_INET, &pi.ipi_addr, dst, sizeof dst); /* the header's destination */
        ifindex = pi.ipi_ifindex;
      } else if (c->cmsg_type == IP_TTL && c->cmsg_len >= CMSG_LEN(sizeof(int))) {
        memcpy(&ttl, CMSG_DATA(c), sizeof ttl);
      }
    }
  }
  napi_env env = r->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  napi_value argv[6];
  void *unused;
  if (napi_create_buffer_copy(env, (size_t)n, r->addon->buf, &unused, &argv[0]) == napi_ok &&
      napi_create_string_utf8(env, src, NAPI_AUTO_LENGTH, &argv[1]) == napi_ok &&
      napi_create_int32(env, port, &argv[2]) == napi_ok &&
      napi_create_string_utf8(env, dst, NAPI_AUTO_LENGTH, &argv[3]) == napi_ok &&
      napi_create_int32(env, ttl, &argv[4]) == napi_ok &&
      napi_create_int32(env, ifindex, &argv[5]) == napi_ok)
    psock_call(r, 6, argv);
  napi_close_handle_scope(env, scope);
}

static void psock_readable(uv_poll_t *h, int status, int events) {
  psock_t *r = (psock_t *)h;
  (void)events;
  if (status < 0 || r->fd < 0) return;
  for (int i = 0; i < RECV_BURST && r->fd >= 0; i++) {
    struct sockaddr_storage from;
    union { struct cmsghdr align; unsigned char b[256]; } control;
    struct iovec iov = { .iov_base = r->addon->buf, .iov_len = RECV_BUF_LEN };
    struct msghdr msg = {
      .msg_name = &from, .msg_namelen = sizeof from, .msg_iov = &iov, .msg_iovlen = 1,
      .msg_control = control.b, .msg_controllen = sizeof control.b,
    };
    memset(&from, 0, sizeof from);
    ssize_t n = recvmsg(r->fd, &msg, MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR) continue;
      break; /* EAGAIN: drained; anything else: retried on the next wake-up */
    }
    if (r->kind == PSOCK_RAW6) raw6_deliver(r, n, &from, &msg);
    else udp_deliver(r, n, &from, &msg);
  }
  if (r->fd < 0 && r->on_packet) psock_release_js(r); /* closed from inside onPacket */
}

static psock_t *psock_find(addon_t *a, int fd) {
  for (psock_t *r = a ? a->sockets : NULL; r; r = r->next)
    if (r->fd == fd) return r;
  return NULL;
}

/*
 * Takes over `fd` (closed on failure) and starts reading it with onPacket: the fd on success,
 * NULL with a JS exception pending otherwise.
 */
static napi_value psock_start(napi_env env, int fd, enum psock_kind kind, napi_value on_packet, const char *resource) {
  addon_t *a = get_addon(env);
  psock_t *r = calloc(1, sizeof *r);
  if (!r) {
    close(fd);
    return throw_sys(env, "calloc", NULL, ENOMEM);
  }
  r->env = env;
  r->fd = fd;
  r->kind = kind;
  r->addon = a;
  uv_loop_t *loop;
  napi_value name;
  int rc;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok ||
      napi_create_string_utf8(env, resource, NAPI_AUTO_LENGTH, &name) != napi_ok ||
      napi_async_init(env, NULL, name, &r->actx) != napi_ok ||
      napi_create_reference(env, on_packet, 1, &r->on_packet) != napi_ok) {
    psock_release_js(r);
    close(fd);
    free(r);
    return throw_sys(env, "napi", NULL, EIO);
  }
  if ((rc = uv_poll_init(loop, &r->poll, fd)) < 0) {
    psock_release_js(r);
    close(fd);
    free(r);
    return throw_sys(env, "uv_poll_init", NULL, -rc);
  }
  r->next = a->sockets;
  a->sockets = r;
  if ((rc = uv_poll_start(&r->poll, UV_READABLE, psock_readable)) < 0) {
    psock_release_js(r);
    psock_shutdown(r);
    return throw_sys(env, "uv_poll_start", NULL, -rc);
  }
  return make_int(env, fd);
}

static int set_int_opt(int fd, int level, int name, int value) {
  return setsockopt(fd, level, name, &value, sizeof value);
}

/* ---------- IPv6 raw sockets (VRRP over IPv6) ---------- */

/* raw6Open(protocol, onPacket(data, src, dst, hopLimit, ifindex)): fd */
static napi_value raw6_open(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  int32_t protocol;
  napi_valuetype t;
  if (!get_args(env, info, 2, argv) || !get_int(env, argv[0], "protocol", &protocol)) return NULL;
  if (napi_typeof(env, argv[1], &t) != napi_ok || t != napi_function) return throw_type(env, "onPacket must be a function");

  int fd = socket(AF_INET6, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, protocol);
  if (fd < 0) return throw_sys(env, "socket", "AF_INET6", errno);
  static const struct { int name; int value; const char *text; } opts[] = {
    { IPV6_RECVPKTINFO, 1, "IPV6_RECVPKTINFO" },
    { IPV6_RECVHOPLIMIT, 1, "IPV6_RECVHOPLIMIT" },
    { IPV6_MULTICAST_LOOP, 0, "IPV6_MULTICAST_LOOP" },
    { IPV6_MULTICAST_HOPS, 255, "IPV6_MULTICAST_HOPS" },
    { IPV6_UNICAST_HOPS, 255, "IPV6_UNICAST_HOPS" },
    { IPV6_TCLASS, 0xc0, "IPV6_TCLASS" },           /* network control, as keepalived */
    { IPV6_MULTICAST_ALL, 0, "IPV6_MULTICAST_ALL" }, /* only groups joined on this socket */
  };
  for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++) {
    if (set_int_opt(fd, IPPROTO_IPV6, opts[i].name, opts[i].value) < 0) {
      int err = errno;
      close(fd);
      return throw_sys(env, "setsockopt", opts[i].text, err);
    }
  }
  return psock_start(env, fd, PSOCK_RAW6, argv[1], "kts:raw6");
}

static napi_value raw6_membership(napi_env env, napi_callback_info info, int opt, const char *text) {
  napi_value argv[3];
  int32_t fd, ifindex;
  unsigned char *group;
  size_t len;
  if (!get_args(env, info, 3, argv) || !get_int(env, argv[0], "fd", &fd) ||
      !get_int(env, argv[1], "ifindex", &ifindex) || !get_bytes(env, argv[2], "group", 16, &group, &len))
    return NULL;
  struct ipv6_mreq mreq;
  memcpy(&mreq.ipv6mr_multiaddr, group, 16);
  mreq.ipv6mr_interface = (unsigned)ifindex;
  if (setsockopt(fd, IPPROTO_IPV6, opt, &mreq, sizeof mreq) < 0) return throw_sys(env, "setsockopt", text, errno);
  return NULL;
}

/* raw6Join(fd, ifindex, group) / raw6Leave(fd, ifindex, group) */
static napi_value raw6_join(napi_env env, napi_callback_info info) {
  return raw6_membership(env, info, IPV6_ADD_MEMBERSHIP, "IPV6_ADD_MEMBERSHIP");
}
static napi_value raw6_leave(napi_env env, napi_callback_info info) {
  return raw6_membership(env, info, IPV6_DROP_MEMBERSHIP, "IPV6_DROP_MEMBERSHIP");
}

/* raw6Send(fd, ifindex, src, dst, data): bytes sent. src :: (16 zero bytes) lets the kernel pick. */
static napi_value raw6_send(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  int32_t fd, ifindex;
  unsigned char *src, *dst, *data;
  size_t len;
  if (!get_args(env, info, 5, argv) || !get_int(env, argv[0], "fd", &fd) ||
      !get_int(env, argv[1], "ifindex", &ifindex) || !get_bytes(env, argv[2], "src", 16, &src, &len) ||
      !get_bytes(env, argv[3], "dst", 16, &dst, &len) || !get_bytes(env, argv[4], "data", 0, &data, &len))
    return NULL;
  struct sockaddr_in6 to;
  memset(&to, 0, sizeof to);
  to.sin6_family = AF_INET6;
  memcpy(&to.sin6_addr, dst, 16);
  int link_scope = dst[0] == 0xff || (dst[0] == 0xfe && (dst[1] & 0xc0) == 0x80);
  if (link_scope) to.sin6_scope_id = (uint32_t)ifindex;

  union { struct cmsghdr align; unsigned char b[CMSG_SPACE(sizeof(struct in6_pktinfo))]; } control;
  memset(&control, 0, sizeof control);
  struct iovec iov = { .iov_base = data, .iov_len = len };
  struct msghdr msg = {
    .msg_name = &to, .msg_namelen = sizeof to, .msg_iov = &iov, .msg_iovlen = 1,
    .msg_control = control.b, .msg_controllen = sizeof control.b,
  };
  struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = IPPROTO_IPV6;
  c->cmsg_type = IPV6_PKTINFO;
  c->cmsg_len = CMSG_LEN(sizeof(struct in6_pktinfo));
  struct in6_pktinfo pi;
  memcpy(&pi.ipi6_addr, src, 16);
  pi.ipi6_ifindex = (unsigned)ifindex;
  memcpy(CMSG_DATA(c), &pi, sizeof pi);
  ssize_t n = sendmsg(fd, &msg, 0);
  if (n < 0) return throw_sys(env, "sendmsg", NULL, errno);
  return make_int(env, n);
}

/* raw6BindDevice(fd, ifname): SO_BINDTODEVICE; '' unbinds. */
static napi_value raw6_bind_device(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  int32_t fd;
  char ifname[IFNAMSIZ + 1];
  size_t len;
  if (!get_args(env, info, 2, argv) || !get_int(env, argv[0], "fd", &fd)) return NULL;
  if (napi_get_value_string_utf8(env, argv[1], ifname, sizeof ifname, &len) != napi_ok)
    return throw_type(env, "ifname must be a string");
  if (len >= IFNAMSIZ) return throw_sys(env, "setsockopt", "SO_BINDTODEVICE", ENAMETOOLONG);
  if (setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, ifname, (socklen_t)len) < 0)
    return throw_sys(env, "setsockopt", "SO_BINDTODEVICE", errno);
  return NULL;
}

/* ---------- UDP with each datagram's TTL and destination (BFD, RFC 5881) ---------- */

/*
 * udpListen(family 4|6, port, bindAddr ('' = any), onPacket(data, src, srcPort, dst, ttl,
 * ifindex)): fd. A UDP socket bound to `port`, read from a uv_poll like raw6Open's, that
 * passes on what only recvmsg's ancillary data tells: the TTL (IP_RECVTTL) or hop limit
 * (IPV6_RECVHOPLIMIT) of the datagram, for the GTSM check, and its destination address and
 * arrival interface (IP_PKTINFO / IPV6_RECVPKTINFO). An IPv6 socket is IPV6_V6ONLY, so one
 * socket per family can hold the port. No SO_REUSEADDR: on a UDP socket Linux would then let
 * a second socket (another daemon) bind the same port without EADDRINUSE and take its
 * unicast datagrams; keepalived's bfd_open_fd_in does not set it either. An IPv6 bindAddr may
 * carry a scope ('fe80::1%eth0' or '%2').
 */
static napi_value udp_listen(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  int32_t family;
  double port;
  char addr[INET6_ADDRSTRLEN + IFNAMSIZ + 2];
  size_t alen;
  napi_valuetype t;
  if (!get_args(env, info, 4, argv) || !get_int(env, argv[0], "family", &family)) return NULL;
  if (family != 4 && family != 6) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_VALUE", "family must be 4 or 6");
    return NULL;
  }
  if (napi_typeof(env, argv[1], &t) != napi_ok || t != napi_number || napi_get_value_double(env, argv[1], &port) != napi_ok)
    return throw_type(env, "port must be a number");
  if (!(port >= 0 && port <= 65535) || port != (double)(int32_t)port) {
    napi_throw_range_error(env, "ERR_OUT_OF_RANGE", "port must be an integer from 0 to 65535");
    return NULL;
  }
  if (napi_typeof(env, argv[2], &t) != napi_ok || t != napi_string ||
      napi_get_value_string_utf8(env, argv[2], addr, sizeof addr, &alen) != napi_ok)
    return throw_type(env, "bindAddr must be a string");
  if (alen >= sizeof addr - 1) { /* may have been cut short: refuse rather than read a prefix */
    napi_throw_type_error(env, "ERR_INVALID_ARG_VALUE", "bindAddr is too long for an address");
    return NULL;
  }
  if (napi_typeof(env, argv[3], &t) != napi_ok || t != napi_function) return throw_type(env, "onPacket must be a function");

  struct sockaddr_storage ss;
  socklen_t sslen;
  memset(&ss, 0, sizeof ss);
  if (family == 4) {
    struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
    sin->sin_family = AF_INET;
    sin->sin_port = htons((uint16_t)port);
    if (alen > 0 && inet_pton(AF_INET, addr, &sin->sin_addr) != 1) {
      napi_throw_type_error(env, "ERR_INVALID_ARG_VALUE", "bindAddr must be an IPv4 address or ''");
      return NULL;
    }
    sslen = sizeof *sin;
  } else {
    struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
    sin6->sin6_family = AF_INET6;
    sin6->sin6_port = htons((uint16_t)port);
    char *scope = strchr(addr, '%');
    if (scope) *scope++ = '\0';
    if ((alen > 0 && inet_pton(AF_INET6, addr, &sin6->sin6_addr) != 1) || (scope && !*scope)) {
      napi_throw_type_error(env, "ERR_INVALID_ARG_VALUE", "bindAddr must be an IPv6 address (with an optional %scope) or ''");
      return NULL;
    }
    if (scope) {
      char *end;
      unsigned long n = strtoul(scope, &end, 10);
      sin6->sin6_scope_id = *end ? if_nametoindex(scope) : (uint32_t)n;
      if (!sin6->sin6_scope_id) return throw_sys(env, "if_nametoindex", scope, ENODEV);
    }
    sslen = sizeof *sin6;
  }

  int fd = socket(family == 4 ? AF_INET : AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, IPPROTO_UDP);
  if (fd < 0) return throw_sys(env, "socket", family == 4 ? "AF_INET" : "AF_INET6", errno);
  typedef struct { int level; int name; const char *text; } onopt_t; /* each set to 1 */
  static const onopt_t opts4[] = {
    { IPPROTO_IP, IP_RECVTTL, "IP_RECVTTL" },
    { IPPROTO_IP, IP_PKTINFO, "IP_PKTINFO" },
  }, opts6[] = {
    { IPPROTO_IPV6, IPV6_V6ONLY, "IPV6_V6ONLY" },
    { IPPROTO_IPV6, IPV6_RECVHOPLIMIT, "IPV6_RECVHOPLIMIT" },
    { IPPROTO_IPV6, IPV6_RECVPKTINFO, "IPV6_RECVPKTINFO" },
  };
  const onopt_t *opts = family == 4 ? opts4 : opts6;
  size_t nopts = family == 4 ? sizeof opts4 / sizeof opts4[0] : sizeof opts6 / sizeof opts6[0];
  for (size_t i = 0; i < nopts; i++) {
    if (set_int_opt(fd, opts[i].level, opts[i].name, 1) < 0) {
      int err = errno;
      close(fd);
      return throw_sys(env, "setsockopt", opts[i].text, err);
    }
  }
  if (bind(fd, (struct sockaddr *)&ss, sslen) < 0) {
    int err = errno;
    char what[INET6_ADDRSTRLEN + 16];
    snprintf(what, sizeof what, family == 4 ? "%s:%d" : "[%s]:%d", alen ? addr : family == 4 ? "0.0.0.0" : "::", (int)port);
    close(fd);
    return throw_sys(env, "bind", what, err);
  }
  return psock_start(env, fd, family == 4 ? PSOCK_UDP4 : PSOCK_UDP6, argv[3], "kts:udp");
}

/* ---------- AF_UNIX datagrams (sd_notify) ---------- */

/* unixDgramSend(path, data): bytes sent. A leading '@' names an abstract socket. */
static napi_value unix_dgram_send(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  struct sockaddr_un sun;
  char path[sizeof sun.sun_path + 2];
  size_t plen, len;
  unsigned char *data;
  napi_valuetype t;
  if (!get_args(env, info, 2, argv)) return NULL;
  if (napi_typeof(env, argv[0], &t) != napi_ok || t != napi_string ||
      napi_get_value_string_utf8(env, argv[0], path, sizeof path, &plen) != napi_ok)
    return throw_type(env, "path must be a string");
  if (!get_bytes(env, argv[1], "data", 0, &data, &len)) return NULL;
  if (plen == 0 || plen >= sizeof sun.sun_path + (path[0] == '@'))
    return throw_sys(env, "sendto", "AF_UNIX", plen == 0 ? ENOENT : ENAMETOOLONG);
  memset(&sun, 0, sizeof sun);
  sun.sun_family = AF_UNIX;
  socklen_t alen;
  if (path[0] == '@') { /* abstract: leading NUL, no terminator, length counts */
    memcpy(sun.sun_path + 1, path + 1, plen - 1);
    alen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + plen);
  } else {
    memcpy(sun.sun_path, path, plen);
    alen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + plen + 1);
  }
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return throw_sys(env, "socket", "AF_UNIX", errno);
  /* never blocks: a stalled reader (syslog, the service manager) costs the datagram, not the daemon */
  ssize_t n = sendto(fd, data, len, MSG_NOSIGNAL | MSG_DONTWAIT, (struct sockaddr *)&sun, alen);
  int err = errno;
  close(fd);
  if (n < 0) return throw_sys(env, "sendto", NULL, err);
  return make_int(env, n);
}

/* ---------- close ---------- */

/* ---------- marked / device-bound sockets (health-check probes) ---------- */

/*
 * socketOpen(family 4|6, type 'tcp'|'udp', mark, ifname): fd, non-blocking. `mark` >= 0 sets
 * SO_MARK (fwmark), a non-empty `ifname` SO_BINDTODEVICE (bind_if): what Node's sockets cannot
 * set before their connect. The caller hands the fd to Node's TCP handle (open(fd)).
 */
static napi_value socket_open(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  int32_t family, mark;
  char type[8], ifname[IFNAMSIZ + 1];
  size_t tlen, ilen;
  if (!get_args(env, info, 4, argv) || !get_int(env, argv[0], "family", &family) || !get_int(env, argv[2], "mark", &mark)) return NULL;
  if (napi_get_value_string_utf8(env, argv[1], type, sizeof type, &tlen) != napi_ok ||
      napi_get_value_string_utf8(env, argv[3], ifname, sizeof ifname, &ilen) != napi_ok)
    return throw_type(env, "type and ifname must be strings");
  if ((family != 4 && family != 6) || (strcmp(type, "tcp") && strcmp(type, "udp")) || ilen >= IFNAMSIZ)
    return throw_type(env, "family must be 4 or 6, type 'tcp' or 'udp', ifname shorter than IFNAMSIZ");
  int fd = socket(family == 4 ? AF_INET : AF_INET6, (strcmp(type, "tcp") ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return throw_sys(env, "socket", NULL, errno);
  if (mark >= 0) {
    uint32_t m = (uint32_t)mark;
    if (setsockopt(fd, SOL_SOCKET, SO_MARK, &m, sizeof m) < 0) {
      int err = errno;
      close(fd);
      return throw_sys(env, "setsockopt", "SO_MARK", err);
    }
  }
  if (ilen > 0 && setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, ifname, (socklen_t)ilen) < 0) {
    int err = errno;
    close(fd);
    return throw_sys(env, "setsockopt", "SO_BINDTODEVICE", err);
  }
  return make_int(env, fd);
}

/* close(fd): stops the poll of a raw6 / udpListen socket (if it is one) and closes the descriptor. */
static napi_value close_fd(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  int32_t fd;
  if (!get_args(env, info, 1, argv) || !get_int(env, argv[0], "fd", &fd)) return NULL;
  psock_t *r = psock_find(get_addon(env), fd);
  int err = 0;
  if (r) {
    if (!r->in_callback) psock_release_js(r);
    err = psock_shutdown(r);
  } else if (close(fd) < 0) {
    err = errno;
  }
  if (err) return throw_sys(env, "close", NULL, err);
  return NULL;
}

/* ---------- link polling (linkbeat_interfaces, linkbeat_use_polling) ---------- */

/* One MII register of the PHY whose id SIOCGMIIPHY left in `ifr`; 0xffff when it cannot be read. */
static uint16_t mii_read(int fd, struct ifreq *ifr, uint16_t phy, uint16_t reg) {
  struct mii_ioctl_data *d = (struct mii_ioctl_data *)&ifr->ifr_data;
  d->phy_id = phy;
  d->reg_num = reg;
  if (ioctl(fd, SIOCGMIIREG, ifr) < 0) return 0xffff;
  return d->val_out;
}

/* MII: -1 without a PHY that reports its status register; else the link bit of BMSR, read twice (it latches). */
static int probe_mii(int fd, struct ifreq *ifr) {
  struct mii_ioctl_data *d = (struct mii_ioctl_data *)&ifr->ifr_data;
  if (ioctl(fd, SIOCGMIIPHY, ifr) < 0) return -1;
  uint16_t phy = d->phy_id;
  d->reg_num = MII_BMSR;
  if (ioctl(fd, SIOCGMIIREG, ifr) < 0) return -1;
  uint16_t bmsr;
  if (mii_read(fd, ifr, phy, MII_BMCR) == 0xffff || (bmsr = mii_read(fd, ifr, phy, MII_BMSR)) == 0) return -1;
  uint16_t again = mii_read(fd, ifr, phy, MII_BMSR);
  return ((bmsr | again) & BMSR_LSTATUS) ? 1 : 0;
}

/* ETHTOOL_GLINK: -1 when the driver has no link query. */
static int probe_ethtool(int fd, struct ifreq *ifr) {
  struct ethtool_value e = { .cmd = ETHTOOL_GLINK };
  ifr->ifr_data = (void *)&e;
  if (ioctl(fd, SIOCETHTOOL, ifr) < 0) return -1;
  return e.data ? 1 : 0;
}

/* SIOCGIFFLAGS: up and running; an interface that is gone is down, any other failure counts as up. */
static int probe_flags(int fd, struct ifreq *ifr) {
  if (ioctl(fd, SIOCGIFFLAGS, ifr) < 0) return errno == ENODEV ? 0 : 1;
  return (ifr->ifr_flags & (IFF_UP | IFF_RUNNING)) == (IFF_UP | IFF_RUNNING) ? 1 : 0;
}

/*
 * linkProbe(ifname, method 'mii'|'ethtool'|'flags'): 1 link up, 0 down, -1 the method does not
 * work on this interface. The ioctls keepalived's linkbeat polls with; Node has no ioctl.
 */
static napi_value link_probe(napi_env env, napi_callback_info info) {
  static int fd = -1;
  napi_value argv[2];
  char ifname[IFNAMSIZ + 1], method[8];
  size_t ilen, mlen;
  if (!get_args(env, info, 2, argv)) return NULL;
  if (napi_get_value_string_utf8(env, argv[0], ifname, sizeof ifname, &ilen) != napi_ok ||
      napi_get_value_string_utf8(env, argv[1], method, sizeof method, &mlen) != napi_ok)
    return throw_type(env, "ifname and method must be strings");
  if (ilen == 0 || ilen >= IFNAMSIZ) return throw_type(env, "ifname must be 1 to 15 bytes");
  if (fd < 0 && (fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0) return throw_sys(env, "socket", "linkbeat", errno);
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  memcpy(ifr.ifr_name, ifname, ilen);
  int r;
  if (!strcmp(method, "mii")) r = probe_mii(fd, &ifr);
  else if (!strcmp(method, "ethtool")) r = probe_ethtool(fd, &ifr);
  else if (!strcmp(method, "flags")) r = probe_flags(fd, &ifr);
  else return throw_type(env, "method must be 'mii', 'ethtool' or 'flags'");
  return make_int(env, r);
}

/* ---------- scheduling of the calling thread (vrrp_rt_priority and friends) ---------- */

/*
 * schedSet(priority): SCHED_RR at `priority` (1..99) for the calling thread, with
 * SCHED_RESET_ON_FORK so that scripts spawned from it start as normal processes; 0 returns the
 * thread to SCHED_OTHER. Linux applies the policy to one thread: the caller's (Node's main
 * thread, the one running the advert timers), not V8's or libuv's helpers.
 */
static napi_value sched_set(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  int32_t prio;
  if (!get_args(env, info, 1, argv) || !get_int(env, argv[0], "priority", &prio)) return NULL;
  struct sched_param sp = { .sched_priority = prio > 0 ? prio : 0 };
  if (sched_setscheduler(0, prio > 0 ? (SCHED_RR | SCHED_RESET_ON_FORK) : SCHED_OTHER, &sp) < 0)
    return throw_sys(env, "sched_setscheduler", prio > 0 ? "SCHED_RR" : "SCHED_OTHER", errno);
  if (prio > 0) {
    /*
     * The kernel's RLIMIT_RTTIME count (ticks run without blocking) starts again only when a
     * real-time thread wakes up, and a change of policy does not clear it: a thread back from
     * the guard below would meet the soft limit again at its next tick. A short sleep wakes it
     * as a real-time thread now.
     */
    struct timespec ts = { .tv_sec = 0, .tv_nsec = 100000 };
    nanosleep(&ts, NULL);
  }
  return NULL;
}

/* rttimeLimit(softUs, hardUs): RLIMIT_RTTIME; -1 is unlimited. */
static napi_value rttime_limit(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  int64_t v[2];
  if (!get_args(env, info, 2, argv)) return NULL;
  for (int i = 0; i < 2; i++) {
    napi_valuetype t;
    if (napi_typeof(env, argv[i], &t) != napi_ok || t != napi_number || napi_get_value_int64(env, argv[i], &v[i]) != napi_ok)
      return throw_type(env, "limits must be numbers");
  }
  struct rlimit rl = { .rlim_cur = v[0] < 0 ? RLIM_INFINITY : (rlim_t)v[0], .rlim_max = v[1] < 0 ? RLIM_INFINITY : (rlim_t)v[1] };
  if (setrlimit(RLIMIT_RTTIME, &rl) < 0) return throw_sys(env, "setrlimit", "RLIMIT_RTTIME", errno);
  return NULL;
}

/*
 * The real-time guard. At RLIMIT_RTTIME's soft limit the kernel sends SIGXCPU to the thread
 * that ran that long without blocking, and at the hard limit SIGKILL. A JavaScript listener
 * runs only once the event loop turns again, too late when the thread is still busy, so this
 * handler runs in the signal itself: a SCHED_RR thread returns to SCHED_OTHER there (the
 * kernel counts RLIMIT_RTTIME only for real-time threads, so the hard limit is not reached),
 * and the handler installed before (libuv's, for process.on('SIGXCPU')) runs after it.
 * sched_getscheduler and sched_setscheduler are single system calls.
 */
static struct sigaction xcpu_prev;
static int xcpu_installed;
static volatile sig_atomic_t xcpu_demoted;

static void on_xcpu(int sig, siginfo_t *info, void *uctx) {
  int saved = errno;
  int policy = sched_getscheduler(0);
  if (policy >= 0 && (policy & ~SCHED_RESET_ON_FORK) == SCHED_RR) {
    struct sched_param sp = { .sched_priority = 0 };
    if (sched_setscheduler(0, SCHED_OTHER, &sp) == 0) xcpu_demoted++;
  }
  errno = saved;
  if (xcpu_prev.sa_flags & SA_SIGINFO) {
    if (xcpu_prev.sa_sigaction) xcpu_prev.sa_sigaction(sig, info, uctx);
  } else if (xcpu_prev.sa_handler != SIG_DFL && xcpu_prev.sa_handler != SIG_IGN) {
    xcpu_prev.sa_handler(sig);
  }
}

/*
 * rtGuard(): installs the handler above once (after process.on('SIGXCPU'), whose handler it
 * calls next) and returns how many times it has taken a thread out of SCHED_RR.
 */
static napi_value rt_guard(napi_env env, napi_callback_info info) {
  if (!xcpu_installed) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_xcpu;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGXCPU, &sa, &xcpu_prev) < 0) return throw_sys(env, "sigaction", "SIGXCPU", errno);
    xcpu_installed = 1;
  }
  return make_int(env, xcpu_demoted);
}

/* cpuAffinity(tid, cpus[]): sched_setaffinity of one thread of this process (0: the caller). */
static napi_value cpu_affinity(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  int32_t tid;
  uint32_t n;
  bool is_array = false;
  if (!get_args(env, info, 2, argv) || !get_int(env, argv[0], "tid", &tid)) return NULL;
  if (napi_is_array(env, argv[1], &is_array) != napi_ok || !is_array || napi_get_array_length(env, argv[1], &n) != napi_ok)
    return throw_type(env, "cpus must be an array");
  cpu_set_t set;
  CPU_ZERO(&set);
  for (uint32_t i = 0; i < n; i++) {
    napi_value e;
    int32_t cpu;
    if (napi_get_element(env, argv[1], i, &e) != napi_ok || !get_int(env, e, "cpu", &cpu)) return NULL;
    if (cpu < 0 || cpu >= CPU_SETSIZE) return throw_sys(env, "sched_setaffinity", "cpu", EINVAL);
    CPU_SET(cpu, &set);
  }
  if (sched_setaffinity(tid, sizeof set, &set) < 0) return throw_sys(env, "sched_setaffinity", NULL, errno);
  return NULL;
}

/* ---------- network namespaces (net_namespace, -s) ---------- */

/* A NULL-terminated copy of a JS array of strings; NULL (with a JS exception) on error. */
static char **get_strings(napi_env env, napi_value arr, const char *name) {
  bool is_array = false;
  uint32_t n;
  char msg[96];
  if (napi_is_array(env, arr, &is_array) != napi_ok || !is_array || napi_get_array_length(env, arr, &n) != napi_ok) {
    snprintf(msg, sizeof msg, "%s must be an array of strings", name);
    throw_type(env, msg);
    return NULL;
  }
  char **out = calloc(n + 1, sizeof *out);
  if (!out) {
    throw_sys(env, "calloc", NULL, ENOMEM);
    return NULL;
  }
  for (uint32_t i = 0; i < n; i++) {
    napi_value e;
    size_t len;
    if (napi_get_element(env, arr, i, &e) != napi_ok || napi_get_value_string_utf8(env, e, NULL, 0, &len) != napi_ok ||
        !(out[i] = malloc(len + 1)) || napi_get_value_string_utf8(env, e, out[i], len + 1, &len) != napi_ok) {
      for (uint32_t j = 0; j <= i; j++) free(out[j]);
      free(out);
      snprintf(msg, sizeof msg, "%s must be an array of strings", name);
      throw_type(env, msg);
      return NULL;
    }
  }
  return out;
}

static void free_strings(char **v) {
  for (char **p = v; p && *p; p++) free(*p);
  free(v);
}

/*
 * execInNetns(nsPath, sysfsName, file, argv, env): never returns on success. The calling
 * (main) thread joins the network namespace at nsPath (setns), gets a mount namespace of its
 * own whose mounts no longer propagate back (as keepalived's set_namespaces does), with /sys
 * mounted again so that /sys/class/net shows the namespace's interfaces (as `ip netns exec`),
 * and then executes `file` with argv and env (and stdin, stdout, stderr): the new program starts with every thread in the
 * namespace, which a running Node process could not arrange (setns moves one thread). On
 * failure it throws; the calling thread may then be half-way in, so the caller must exit.
 */
static napi_value exec_in_netns(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  char ns_path[4096], sysfs_name[256], file[4096];
  size_t len;
  if (!get_args(env, info, 5, argv)) return NULL;
  if (napi_get_value_string_utf8(env, argv[0], ns_path, sizeof ns_path, &len) != napi_ok ||
      napi_get_value_string_utf8(env, argv[1], sysfs_name, sizeof sysfs_name, &len) != napi_ok ||
      napi_get_value_string_utf8(env, argv[2], file, sizeof file, &len) != napi_ok)
    return throw_type(env, "nsPath, sysfsName and file must be strings");
  char **args = get_strings(env, argv[3], "argv");
  if (!args) return NULL;
  char **envp = get_strings(env, argv[4], "env");
  if (!envp) {
    free_strings(args);
    return NULL;
  }
  const char *syscall = NULL, *what = NULL;
  int fd = open(ns_path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) syscall = "open", what = ns_path;
  else if (setns(fd, CLONE_NEWNET) < 0) syscall = "setns", what = ns_path;
  else if (unshare(CLONE_NEWNS) < 0) syscall = "unshare", what = "CLONE_NEWNS";
  else if (mount("", "/", NULL, MS_REC | MS_SLAVE, NULL) < 0) syscall = "mount", what = "/ MS_SLAVE";
  else if (umount2("/sys", MNT_DETACH) < 0 && errno != EINVAL) syscall = "umount2", what = "/sys";
  else if (mount(sysfs_name, "/sys", "sysfs", 0, NULL) < 0) syscall = "mount", what = "/sys";
  else {
    /* libuv marks the standard descriptors close-on-exec: the new program keeps them */
    for (int i = 0; i <= 2; i++) fcntl(i, F_SETFD, fcntl(i, F_GETFD) & ~FD_CLOEXEC);
    execve(file, args, envp);
    syscall = "execve", what = file;
  }
  int err = errno;
  if (fd >= 0) close(fd);
  free_strings(args);
  free_strings(envp);
  return throw_sys(env, syscall, what, err);
}

/* ---------- module ---------- */

/* Environment teardown: stop every poll and close every socket; N-API is going away. */
static void addon_cleanup(void *arg) {
  addon_t *a = arg;
  while (a->sockets) psock_shutdown(a->sockets);
}

static void addon_finalize(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  free(data);
}

NAPI_MODULE_INIT() {
  addon_t *a = calloc(1, sizeof *a);
  if (!a) return throw_sys(env, "calloc", NULL, ENOMEM);
  if (napi_set_instance_data(env, a, addon_finalize, NULL) != napi_ok) {
    free(a);
    return NULL;
  }
  napi_add_env_cleanup_hook(env, addon_cleanup, a);
  static const struct { const char *name; napi_callback fn; } fns[] = {
    { "packetOpen", packet_open },
    { "packetSend", packet_send },
    { "raw6Open", raw6_open },
    { "raw6Join", raw6_join },
    { "raw6Leave", raw6_leave },
    { "raw6Send", raw6_send },
    { "raw6BindDevice", raw6_bind_device },
    { "udpListen", udp_listen },
    { "unixDgramSend", unix_dgram_send },
    { "socketOpen", socket_open },
    { "close", close_fd },
    { "schedSet", sched_set },
    { "rttimeLimit", rttime_limit },
    { "rtGuard", rt_guard },
    { "cpuAffinity", cpu_affinity },
    { "execInNetns", exec_in_netns },
    { "linkProbe", link_probe },
  };
  for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++) {
    napi_value fn;
    if (napi_create_function(env, fns[i].name, NAPI_AUTO_LENGTH, fns[i].fn, NULL, &fn) != napi_ok ||
        napi_set_named_property(env, exports, fns[i].name, fn) != napi_ok)
      return NULL;
  }
  return exports;
}
