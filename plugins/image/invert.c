/* invert.c: negative image
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Example: cnnfilt run 'grayscale ! sobel ! invert' -o out/ photos/   (dark edges on white)
 */
#include "image-op.h"
#include "../pointwise.h"

typedef struct {
  CnnfiltOp parent_instance;
} CnnfiltInvert;

typedef struct {
  CnnfiltOpClass parent_class;
} CnnfiltInvertClass;

CNNFILT_DEFINE_OP_TYPE (CnnfiltInvert, cnnfilt_invert, CNNFILT_TYPE_OP)

POINTWISE_RUN (cnnfilt_invert_run, CnnfiltInvert, 1.0f - x)

static void
cnnfilt_invert_class_init (CnnfiltInvertClass *klass)
{
  CnnfiltOpClass *op_class = CNNFILT_OP_CLASS (klass);
  op_class->name = "invert";
  op_class->description = "Negative: 1 − x for every value, alpha included";
  op_class->n_inputs = 1;
  op_class->infer = image_op_infer_same_shape;
  op_class->run = cnnfilt_invert_run;
}

static void
cnnfilt_invert_class_finalize (CnnfiltInvertClass *klass)
{
}

static void
cnnfilt_invert_init (CnnfiltInvert *self)
{
}
