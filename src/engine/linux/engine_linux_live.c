/*
 * engine_linux_live.c — a running jail seen and limited from the host:
 * runtime (liblxc's view and the cgroup counters), inuse, cap and uncap
 * (limits applied to or lifted from a running jail through its cgroups,
 * engine_linux_cg.c), and the addresses an interface has now (DHCP, SLAAC).
 */
#include "engine/engine.h"
#include "engine/linux/engine_linux.h"
#include "core/props.h"

#include <limits.h>
#include <lxc/lxccontainer.h>
#include <stdio.h>
#include <sys/resource.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------- runtime */

static void
ioc_lx_row(struct ioc_table *t, const char *k, const char *v)
{
	const char *c[] = { k, v && *v ? v : "-" };
	ioc_table_add(t, c);
}

int
ioc_lx_runtime(
    const struct ioc_root *root, struct ioc_jail *j, struct ioc_table *t, struct ioc_error **err)
{
	static const char *const keys[] = { "lxc.uts.name", "lxc.rootfs.path", "lxc.init.cmd",
		"lxc.idmap", "lxc.cap.drop", "lxc.mount.entry", "lxc.prlimit.nofile", NULL };
	struct lxc_container *c = ioc_lx_open(j, err);
	_cleanup_free_ char *name = ioc_lx_name(j);
	char buf[64];
	size_t i;
	(void)root;
	if (c == NULL)
		return -1;
	if (!c->is_running(c)) {
		lxc_container_put(c);
		return ioc_err(err, "jail '%s' is not running", ioc_lx_tag(j));
	}
	ioc_lx_row(t, "name", name);
	ioc_lx_row(t, "lxcpath", ioc_lx_path());
	ioc_lx_row(t, "state", c->state(c));
	snprintf(buf, sizeof(buf), "%ld", (long)c->init_pid(c));
	ioc_lx_row(t, "init_pid", buf);
	for (i = 0; keys[i]; i++) {
		char *v = c->get_running_config_item(c, keys[i]);
		if (v) {
			_cleanup_strv_ struct ioc_strv lines = IOC_STRV_INIT;
			size_t k;
			ioc_strv_split(&lines, v, '\n');
			for (k = 0; k < lines.n; k++)
				if (*lines.v[k])
					ioc_lx_row(t, keys[i], lines.v[k]);
		}
		free(v);
	}
	for (i = 0; i < 8; i++) {
		char key[64];
		char *type, *v;
		snprintf(key, sizeof(key), "lxc.net.%zu.type", i);
		type = c->get_running_config_item(c, key);
		if (type == NULL || *type == '\0') {
			free(type);
			break;
		}
		ioc_lx_row(t, key, type);
		free(type);
		snprintf(key, sizeof(key), "lxc.net.%zu.link", i);
		if ((v = c->get_running_config_item(c, key)) != NULL && *v)
			ioc_lx_row(t, key, v);
		free(v);
		snprintf(key, sizeof(key), "lxc.net.%zu.veth.pair", i);
		if ((v = c->get_running_config_item(c, key)) != NULL && *v)
			ioc_lx_row(t, key, v);
		free(v);
	}
	{
		char **ips = c->get_ips(c, NULL, NULL, 0);
		for (i = 0; ips && ips[i]; i++) {
			ioc_lx_row(t, "ip", ips[i]);
			free(ips[i]);
		}
		free(ips);
	}
	lxc_container_put(c);
	return 0;
}

/* ------------------------------------------------------------- limits */

static int
ioc_lx_running(const struct ioc_jail *j, struct lxc_container **out, struct ioc_error **err)
{
	struct lxc_container *c = ioc_lx_open(j, err);
	if (c == NULL)
		return -1;
	if (!c->is_running(c)) {
		lxc_container_put(c);
		return ioc_err(err, "jail '%s' is not running", ioc_lx_tag(j));
	}
	*out = c;
	return 0;
}

int
ioc_lx_addrs(const struct ioc_root *root, const struct ioc_jail *j, const char *ifname, int v6,
    struct ioc_strv *out, struct ioc_error **err)
{
	struct lxc_container *c = NULL;
	pid_t init;
	(void)root;
	if (ioc_lx_running(j, &c, err) != 0)
		return -1;
	init = c->init_pid(c);
	lxc_container_put(c);
	if (init <= 0)
		return ioc_err(err, "jail '%s' is not running", ioc_lx_tag(j));
	return ioc_lx_if_addrs(init, ifname, v6, 0, out, err);
}

/* Applies (or removes) the limits on a running jail. */
static int
ioc_lx_setlimits(struct ioc_jail *j, int remove, struct ioc_error **err)
{
	struct lxc_container *c;
	struct ioc_lx_cgset cg[8];
	size_t n = 0, i;
	int rc = 0;
	unsigned long long nof;
	if (ioc_lx_running(j, &c, err) != 0)
		return -1;
	if (ioc_lx_cg_settings(j, remove, cg, &n, err) != 0) {
		lxc_container_put(c);
		return -1;
	}
	for (i = 0; i < n && rc == 0; i++) {
		if (strcmp(cg[i].file, "memory.limit_in_bytes") == 0 &&
		    access("/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes", F_OK) == 0) {
			/* memsw >= memory must hold at every moment: order the writes */
			if (remove) {
				c->set_cgroup_item(c, "memory.memsw.limit_in_bytes", "-1");
			} else {
				c->set_cgroup_item(c, "memory.memsw.limit_in_bytes", "-1");
				if (!c->set_cgroup_item(c, cg[i].file, cg[i].value) ||
				    !c->set_cgroup_item(
					c, "memory.memsw.limit_in_bytes", cg[i].value))
					rc = ioc_err(
					    err, "cannot set %s=%s", cg[i].file, cg[i].value);
				continue;
			}
		}
		if (strcmp(cg[i].file, "cpu.cfs_quota_us") == 0)
			c->set_cgroup_item(c, "cpu.cfs_period_us", "100000");
		if (!c->set_cgroup_item(c, cg[i].file, cg[i].value))
			rc = ioc_err(
			    err, "cannot set %s=%s on the running jail", cg[i].file, cg[i].value);
	}
	ioc_lx_cg_free(cg, n);
	if (rc == 0 && (remove || ioc_parse_bool(ioc_lx_get(j, "rlimits")) == 1) &&
	    ioc_lx_limit_amount(ioc_lx_get(j, "openfiles"), &nof) == 0) {
		/* RLIMIT_NOFILE of every process of the jail */
		char procs[65536];
		int len = c->get_cgroup_item(c, "cgroup.procs", procs, sizeof(procs) - 1);
		struct rlimit rl;
		char *p, *save = NULL;
		rl.rlim_cur = rl.rlim_max = remove ? 1048576 : nof;
		if (len > 0) {
			procs[len] = '\0';
			for (p = strtok_r(procs, "\n", &save); p; p = strtok_r(NULL, "\n", &save)) {
				long long pid;
				if (ioc_parse_ll(p, 1, INT_MAX, &pid) == 0)
					prlimit((pid_t)pid, RLIMIT_NOFILE, &rl, NULL);
			}
		}
	}
	lxc_container_put(c);
	return rc;
}

int
ioc_lx_cap(const struct ioc_root *root, struct ioc_jail *j, struct ioc_error **err)
{
	(void)root;
	return ioc_lx_setlimits(j, 0, err);
}

int
ioc_lx_uncap(const struct ioc_root *root, struct ioc_jail *j, struct ioc_error **err)
{
	(void)root;
	return ioc_lx_setlimits(j, 1, err);
}

int
ioc_lx_inuse(
    const struct ioc_root *root, struct ioc_jail *j, struct ioc_table *t, struct ioc_error **err)
{
	struct lxc_container *c;
	char buf[4096];
	int n;
	(void)root;
	if (ioc_lx_running(j, &c, err) != 0)
		return -1;
	if (ioc_lx_cg_kind("memory") == IOC_CG_V2)
		n = c->get_cgroup_item(c, "memory.current", buf, sizeof(buf) - 1);
	else
		n = c->get_cgroup_item(c, "memory.usage_in_bytes", buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	ioc_lx_row(t, "memoryuse", buf);
	n = c->get_cgroup_item(c, "pids.current", buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	ioc_lx_row(t, "maxproc", buf);
	if (ioc_lx_cg_kind("cpuacct") == IOC_CG_V1) {
		n = c->get_cgroup_item(c, "cpuacct.usage", buf, sizeof(buf) - 1);
		buf[n > 0 ? n : 0] = '\0';
		buf[strcspn(buf, "\n")] = '\0';
		if (n > 0) {
			char s[64];
			snprintf(s, sizeof(s), "%llu", strtoull(buf, NULL, 10) / 1000000000ULL);
			ioc_lx_row(t, "cputime", s);
		}
	} else {
		n = c->get_cgroup_item(c, "cpu.stat", buf, sizeof(buf) - 1);
		buf[n > 0 ? n : 0] = '\0';
		if (n > 0 && strncmp(buf, "usage_usec ", 11) == 0) {
			char s[64];
			snprintf(s, sizeof(s), "%llu", strtoull(buf + 11, NULL, 10) / 1000000ULL);
			ioc_lx_row(t, "cputime", s);
		}
	}
	lxc_container_put(c);
	return 0;
}
