/*
 * http_limit.c - per-client request rates: a fixed one-second window per
 * client address in a hashed table. Collisions share a slot (the newer
 * client takes it over), which errs on the side of letting requests
 * through; the table never grows, so an attacker cannot exhaust memory.
 */
#include "common.h"
#include "http_int.h"

static uint32_t ip_hash(const char *ip)
{
    uint32_t h = 2166136261u;
    while (*ip)
        h = (h ^ (unsigned char)*ip++) * 16777619u;
    return h;
}

int http_rate_allow(struct http_server *s, const char *ip, int write)
{
    struct http_rate_slot *slot;
    time_t now;
    int allowed = 1;

    if (s->o.rate_per_ip <= 0 && (!write || s->o.write_rate_per_ip <= 0))
        return 1;
    now = time(NULL);
    pthread_mutex_lock(&s->rate_lock);
    slot = &s->rate[ip_hash(ip) % HTTP_RATE_SLOTS];
    if (strcmp(slot->ip, ip) || slot->window != now) {
        snprintf(slot->ip, sizeof slot->ip, "%s", ip);
        slot->window = now;
        slot->count = slot->wcount = 0;
    }
    slot->count++;
    if (write)
        slot->wcount++;
    if (s->o.rate_per_ip > 0 && slot->count > s->o.rate_per_ip)
        allowed = 0;
    if (write && s->o.write_rate_per_ip > 0 && slot->wcount > s->o.write_rate_per_ip)
        allowed = 0;
    pthread_mutex_unlock(&s->rate_lock);
    return allowed;
}
