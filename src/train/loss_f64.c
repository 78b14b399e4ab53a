/* loss_f64.c: the losses in double, for gradient checks against central differences. */
#define R double
#define TRL(name) fk__trd_##name
#include "train/loss_impl.h"
