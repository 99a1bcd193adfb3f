/*
 * cmd.h - subcommands of ./belfry. Each takes the arguments after its own
 * name (argv[0] is the subcommand name) and returns the process exit code:
 * 0 success, 1 failure reported on stderr, 2 usage error.
 */
#ifndef BELFRY_CMD_H
#define BELFRY_CMD_H

#define CMD(name) int cmd_##name(int argc, char **argv) __attribute__((weak));
CMD(init)
CMD(serve)
CMD(log)
CMD(check)
CMD(verify)
CMD(monitor)
CMD(witness)
CMD(import)
CMD(export)
CMD(token)
CMD(demo)
CMD(proc)
#undef CMD

/* "belfry: <msg>" on stderr; returns 1. */
int cmd_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
