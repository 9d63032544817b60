/* Running the numpy generators of ../shared/tools from a test (Debian's /usr/bin/python3 with
 * python3-numpy, which scripts/setup.sh installs). */
#ifndef ATS_TEST_PYTHON_TOOLS_H
#define ATS_TEST_PYTHON_TOOLS_H

#include <stdbool.h>

/* Skips the current test with a message unless /usr/bin/python3 can import numpy. */
void ats_require_numpy(void);

/* Runs /usr/bin/python3 with `args` (NULL-terminated, without the program name), its output to
 * the test's stderr; fails the test, naming the command, unless it exits 0. */
void ats_run_python(const char *const *args);

#endif
