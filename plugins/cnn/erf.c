/* erf.c: Error function: erf(x)
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Example: cnnfilt run 'linear weights=w.npy ! erf' -o out/ in/
 *
 * PyTorch exports GELU (approximate='none') as Div, Erf, Add, Mul, Mul:
 * the graph runs those ops one by one.
 */
#include "layer.h"

#include <math.h>

typedef struct {
  CnnfiltPointOp parent_instance;
} CnnfiltErf;

typedef CnnfiltPointOpClass CnnfiltErfClass;

CNNFILT_DEFINE_OP_TYPE (CnnfiltErf, cnnfilt_erf, CNNFILT_TYPE_POINT_OP)

CNNFILT_POINT_OP_RUN (cnnfilt_erf_run, CnnfiltErf,
                     erff (x))

static void
cnnfilt_erf_class_init (CnnfiltErfClass *klass)
{
  CnnfiltOpClass *op_class = CNNFILT_OP_CLASS (klass);
  op_class->name = "erf";
  op_class->example = "linear weights=w.npy ! erf";
  op_class->description = "Error function: erf(x), as GELU's exact form uses it "
                          "(x·(1 + erf(x/√2))/2)";
  op_class->onnx_op_type = "Erf";
  CNNFILT_POINT_OP_CLASS_SET_RUN (klass, cnnfilt_erf_run);
}

LAYER_NO_INIT (CnnfiltErf, cnnfilt_erf)
