/* invert.c: negative image
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Example: cnnfilt run 'grayscale ! sobel ! invert' -o out/ photos/   (dark edges on white)
 */
#include <cnnfilt.h>

typedef struct {
  CnnfiltPointOp parent_instance;
} CnnfiltInvert;

typedef struct {
  CnnfiltPointOpClass parent_class;
} CnnfiltInvertClass;

CNNFILT_DEFINE_OP_TYPE (CnnfiltInvert, cnnfilt_invert, CNNFILT_TYPE_POINT_OP)

CNNFILT_POINT_OP_RUN (cnnfilt_invert_run, CnnfiltInvert, 1.0f - x)

static void
cnnfilt_invert_class_init (CnnfiltInvertClass *klass)
{
  CnnfiltOpClass *op_class = CNNFILT_OP_CLASS (klass);
  op_class->name = "invert";
  op_class->description = "Negative: 1 − x for every value, alpha included";
  CNNFILT_POINT_OP_CLASS_SET_RUN (klass, cnnfilt_invert_run);
}

static void
cnnfilt_invert_class_finalize (CnnfiltInvertClass *klass)
{
}

static void
cnnfilt_invert_init (CnnfiltInvert *self)
{
}
