/* abs.c: absolute value
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Example: cnnfilt run 'grayscale ! laplacian ! abs' -o out/ photos/
 */
#include <cnnfilt.h>

#include <math.h>

typedef struct {
  CnnfiltPointOp parent_instance;
} CnnfiltAbs;

typedef struct {
  CnnfiltPointOpClass parent_class;
} CnnfiltAbsClass;

CNNFILT_DEFINE_OP_TYPE (CnnfiltAbs, cnnfilt_abs, CNNFILT_TYPE_POINT_OP)

CNNFILT_POINT_OP_RUN (cnnfilt_abs_run, CnnfiltAbs, fabsf (x))

static void
cnnfilt_abs_class_init (CnnfiltAbsClass *klass)
{
  CnnfiltOpClass *op_class = CNNFILT_OP_CLASS (klass);
  op_class->name = "abs";
  op_class->description = "Absolute value |x|: shows signed responses (Laplacian, Gx) of both signs";
  CNNFILT_POINT_OP_CLASS_SET_RUN (klass, cnnfilt_abs_run);
}

static void
cnnfilt_abs_class_finalize (CnnfiltAbsClass *klass)
{
}

static void
cnnfilt_abs_init (CnnfiltAbs *self)
{
}
