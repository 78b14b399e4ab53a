/* ops_f32.c: the trainable ops in float, the precision training runs in. */
#define R float
#define TRN(name) fk__trf_##name
#include "train/ops_impl.h"
