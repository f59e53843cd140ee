/*
 * nfq-delay: holds every packet of one NFQUEUE queue for a one-way delay (plus uniform jitter)
 * and then accepts it. The lab's kernel has no netem; this is its delay line.
 *
 *   nfq-delay <queue-num> <delay-ms> [jitter-ms]
 *
 * Packets keep their order: a packet's release time is never earlier than the one before it
 * (jitter spreads the gaps, as a real access link does, without reordering). Verdicts are given
 * late, by packet id, which NFQUEUE allows; the queue length bounds what may be held at once.
 * Exits 0 on SIGTERM/SIGINT; on any setup error it prints one line and exits 1.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/netfilter.h>
#include <libnetfilter_queue/libnetfilter_queue.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define RING_SIZE 8192u

struct held {
  uint32_t id;
  int64_t release_us;
};

static struct held ring[RING_SIZE];
static unsigned head = 0, count = 0;
static int64_t delay_us = 0, jitter_us = 0, last_release_us = 0;
static volatile sig_atomic_t stopping = 0;

static int64_t now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void on_signal(int sig) {
  (void)sig;
  stopping = 1;
}

static int on_packet(struct nfq_q_handle *qh, struct nfgenmsg *msg, struct nfq_data *nfa,
                     void *data) {
  (void)msg;
  (void)data;
  struct nfqnl_msg_packet_hdr *ph = nfq_get_msg_packet_hdr(nfa);
  if (!ph) return 0;
  uint32_t id = ntohl(ph->packet_id);
  if (count == RING_SIZE) {
    /* Full: a real link's buffer overflows too. */
    return nfq_set_verdict(qh, id, NF_DROP, 0, NULL);
  }
  int64_t jitter = jitter_us > 0 ? (int64_t)(random() % (2 * jitter_us + 1)) - jitter_us : 0;
  int64_t release = now_us() + delay_us + jitter;
  if (release < last_release_us) release = last_release_us;
  last_release_us = release;
  ring[(head + count) % RING_SIZE] = (struct held){id, release};
  count++;
  return 0;
}

static void release_due(struct nfq_q_handle *qh) {
  int64_t now = now_us();
  while (count > 0 && ring[head].release_us <= now) {
    nfq_set_verdict(qh, ring[head].id, NF_ACCEPT, 0, NULL);
    head = (head + 1) % RING_SIZE;
    count--;
  }
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: nfq-delay <queue-num> <delay-ms> [jitter-ms]\n");
    return 2;
  }
  int queue = atoi(argv[1]);
  delay_us = (int64_t)(atof(argv[2]) * 1000);
  jitter_us = argc > 3 ? (int64_t)(atof(argv[3]) * 1000) : 0;
  if (jitter_us > delay_us) jitter_us = delay_us;
  srandom((unsigned)getpid() ^ (unsigned)now_us());
  signal(SIGTERM, on_signal);
  signal(SIGINT, on_signal);

  struct nfq_handle *h = nfq_open();
  if (!h) {
    fprintf(stderr, "nfq-delay: nfq_open failed: %s\n", strerror(errno));
    return 1;
  }
  struct nfq_q_handle *qh = nfq_create_queue(h, (uint16_t)queue, &on_packet, NULL);
  if (!qh) {
    fprintf(stderr, "nfq-delay: cannot bind queue %d: %s\n", queue, strerror(errno));
    return 1;
  }
  if (nfq_set_mode(qh, NFQNL_COPY_META, 0xffff) < 0) {
    fprintf(stderr, "nfq-delay: cannot set copy mode: %s\n", strerror(errno));
    return 1;
  }
  nfq_set_queue_maxlen(qh, RING_SIZE);
  int fd = nfq_fd(h);
  char buf[65536] __attribute__((aligned));
  fprintf(stdout, "nfq-delay: queue %d, %lld ms +- %lld ms\n", queue, (long long)delay_us / 1000,
          (long long)jitter_us / 1000);
  fflush(stdout);

  while (!stopping) {
    int timeout_ms = 100;
    if (count > 0) {
      int64_t wait = ring[head].release_us - now_us();
      timeout_ms = wait <= 0 ? 0 : (int)((wait + 999) / 1000);
    }
    struct pollfd pfd = {fd, POLLIN, 0};
    int ready = poll(&pfd, 1, timeout_ms);
    if (ready > 0 && (pfd.revents & POLLIN)) {
      ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
      if (n > 0) nfq_handle_packet(h, buf, (int)n);
    }
    release_due(qh);
  }
  /* Let what is held go: the lab is being torn down or the delay removed. */
  while (count > 0) {
    nfq_set_verdict(qh, ring[head].id, NF_ACCEPT, 0, NULL);
    head = (head + 1) % RING_SIZE;
    count--;
  }
  nfq_destroy_queue(qh);
  nfq_close(h);
  return 0;
}
