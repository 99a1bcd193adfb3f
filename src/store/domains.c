/*
 * domains.c - the domains whose schemas the store creates, in order.
 *
 * Each domain defines `const struct store_domain store_<name>_domain` in
 * its src/store/sqlite_<name>.c. The references are weak so a program (a
 * unit test linked against the archive) that does not use a domain does
 * not pull it in; the belfry binary links every object and gets them all.
 */
#include "common.h"
#include "store.h"

#define DOMAIN(name) extern const struct store_domain store_##name##_domain __attribute__((weak));
DOMAIN(pack)
DOMAIN(log)
DOMAIN(auth)
DOMAIN(ocds)
DOMAIN(proc)
DOMAIN(portal)
DOMAIN(drone)
DOMAIN(budget)
DOMAIN(witness)
#undef DOMAIN

const struct store_domain *const *store_domain_list(void);

const struct store_domain *const *store_domain_list(void)
{
    static const struct store_domain *list[16];
    static int built;
    const struct store_domain *all[] = {
        &store_pack_domain, &store_log_domain, &store_auth_domain, &store_ocds_domain, &store_proc_domain,
        &store_portal_domain, &store_drone_domain, &store_budget_domain, &store_witness_domain,
    };
    size_t i;
    int n = 0;

    if (__atomic_load_n(&built, __ATOMIC_ACQUIRE))
        return list;
    for (i = 0; i < BF_ARRAY_LEN(all); i++)
        if (all[i])
            list[n++] = all[i];
    list[n] = NULL;
    __atomic_store_n(&built, 1, __ATOMIC_RELEASE);
    return list;
}
