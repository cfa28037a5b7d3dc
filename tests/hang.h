/* hang.h: time limits in tests are hang detectors, never speed checks; one factor stretches them all. */
#ifndef KS_TEST_HANG_H
#define KS_TEST_HANG_H

/* KS_TEST_TIME_SCALE comes from CMake: a slowdown factor for sanitizer builds times
 * $KS_TEST_TIMEOUT_SCALE at configure time (1 by default). */
#ifndef KS_TEST_TIME_SCALE
#define KS_TEST_TIME_SCALE 1
#endif
#define KS_HANG_S(seconds) ((double)(seconds) * KS_TEST_TIME_SCALE)

#endif
