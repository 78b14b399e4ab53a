/* ops_f64.c: the trainable ops in double, for gradient checks against central differences. */
#define R double
#define TRN(name) fk__trd_##name
#include "train/ops_impl.h"
