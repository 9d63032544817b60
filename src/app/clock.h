/* A monotonic clock in milliseconds, for timings and the latency log. */
#ifndef ATS_APP_CLOCK_H
#define ATS_APP_CLOCK_H

double ats_clock_ms(void);

#endif
