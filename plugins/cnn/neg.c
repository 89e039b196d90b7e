/* neg.c: Negation: −x
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Example: cnnfilt run 'laplacian ! neg' -o out/ in/
 */
#include "layer.h"

#include <math.h>

typedef struct {
  CnnfiltPointOp parent_instance;
} CnnfiltNeg;

typedef CnnfiltPointOpClass CnnfiltNegClass;

CNNFILT_DEFINE_OP_TYPE (CnnfiltNeg, cnnfilt_neg, CNNFILT_TYPE_POINT_OP)

CNNFILT_POINT_OP_RUN (cnnfilt_neg_run, CnnfiltNeg,
                     -x)

static void
cnnfilt_neg_class_init (CnnfiltNegClass *klass)
{
  CnnfiltOpClass *op_class = CNNFILT_OP_CLASS (klass);
  op_class->name = "neg";
  op_class->example = "laplacian ! neg";
  op_class->description = "Negation: −x";
  op_class->onnx_op_type = "Neg";
  CNNFILT_POINT_OP_CLASS_SET_RUN (klass, cnnfilt_neg_run);
}

LAYER_NO_INIT (CnnfiltNeg, cnnfilt_neg)
