/*
 * ioc_init.c — the init (PID 1) of a Linux jail, built static as `ioc-init`.
 *
 * A jail's root (a busybox or Debian minbase tree) need not have an init of
 * its own, and a FreeBSD-style jail stays up after exec_start returns
 * (persist).  iocage therefore starts every container with this program,
 * bind-mounted read-only at /dev/.ioc-init (a tmpfs the jail's root never
 * sees on disk).  It does three things: keeps the container alive, reaps
 * every orphan (so no zombie piles up), and on SIGTERM, SIGPWR (LXC's
 * shutdown signal) or SIGINT sends SIGTERM to every process of the jail and
 * exits once they are gone.  SIGKILL from the host ends everything at once.
 * No arguments, no files, no environment.
 */
#include <errno.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

int
main(void)
{
	sigset_t set;
	int stopping = 0;

	sigfillset(&set);
	sigprocmask(SIG_BLOCK, &set, NULL);
	for (;;) {
		siginfo_t si;
		int s = sigwaitinfo(&set, &si);
		if (s < 0)
			continue;
		if (s == SIGTERM || s == SIGINT
#ifdef SIGPWR
		    || s == SIGPWR
#endif
		) {
			if (!stopping)
				kill(-1, SIGTERM);
			stopping = 1;
		}
		/* reap everything that has exited */
		for (;;) {
			pid_t p = waitpid(-1, NULL, WNOHANG);
			if (p > 0)
				continue;
			if (p < 0 && errno == ECHILD && stopping)
				return 0;
			break;
		}
	}
}
