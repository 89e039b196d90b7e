/* threshold.c: binarise
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Example: cnnfilt run 'grayscale ! sobel ! threshold value=0.3' -o out/ photos/
 */
#include <cnnfilt.h>

typedef struct {
  CnnfiltPointOp parent_instance;
  gfloat value;
  gboolean invert;
} CnnfiltThreshold;

typedef struct {
  CnnfiltPointOpClass parent_class;
} CnnfiltThresholdClass;

CNNFILT_DEFINE_OP_TYPE (CnnfiltThreshold, cnnfilt_threshold, CNNFILT_TYPE_POINT_OP)

static const CnnfiltOpProp threshold_props[] = {
  { "value", "Values strictly above it become 1, the rest 0", CNNFILT_OP_PROP_FLOAT,
    CNNFILT_OP_PROP_FIELD (CnnfiltThreshold, value), -1e9, 1e9, 0.5, NULL, { 0 } },
  { "invert", "Swap the outputs: 0 above, 1 at or below", CNNFILT_OP_PROP_BOOLEAN,
    CNNFILT_OP_PROP_FIELD (CnnfiltThreshold, invert), 0, 1, FALSE, NULL, { 0 } },
};

CNNFILT_POINT_OP_RUN (cnnfilt_threshold_run, CnnfiltThreshold, (x > self->value) != self->invert ? 1.0f : 0.0f)

static void
cnnfilt_threshold_class_init (CnnfiltThresholdClass *klass)
{
  CnnfiltOpClass *op_class = CNNFILT_OP_CLASS (klass);
  op_class->name = "threshold";
  op_class->description = "Binary threshold: 1 where the value is above the threshold, else 0";
  CNNFILT_POINT_OP_CLASS_SET_RUN (klass, cnnfilt_threshold_run);
  cnnfilt_op_class_install_properties (op_class, threshold_props, G_N_ELEMENTS (threshold_props));
}

static void
cnnfilt_threshold_class_finalize (CnnfiltThresholdClass *klass)
{
}

static void
cnnfilt_threshold_init (CnnfiltThreshold *self)
{
}
