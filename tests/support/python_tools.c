#include "python_tools.h"
#include "test_support.h"

#include <sys/wait.h>
#include <unistd.h>

static const char PYTHON[] = "/usr/bin/python3";

/* The exit code of PYTHON args, or -1 when it could not run or died from a signal. */
static int run(const char *const *args, bool quiet) {
    char *argv[64];
    int n = 0;
    argv[n++] = (char *)PYTHON;
    for (int i = 0; args[i] && n < 63; i++)
        argv[n++] = (char *)args[i];
    argv[n] = NULL;
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        if (quiet) {
            FILE *null = freopen("/dev/null", "w", stderr);
            (void)null;
        }
        execv(PYTHON, argv);
        _exit(127);
    }
    int status;
    if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
        return -1;
    return WEXITSTATUS(status);
}

void ats_require_numpy(void) {
    const char *args[] = {"-c", "import numpy", NULL};
    if (access(PYTHON, X_OK) != 0 || run(args, true) != 0) {
        print_message("skipped: %s with numpy is absent (scripts/setup.sh installs "
                      "python3-numpy)\n",
                      PYTHON);
        skip();
    }
}

void ats_run_python(const char *const *args) {
    int code = run(args, false);
    if (code != 0)
        fail_msg("%s %s ... exited with %d", PYTHON, args[0], code);
}
