/* log.c: Natural logarithm: log(x)
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Example: cnnfilt run 'softmax ! log' -o out/ in/
 *
 * log(0) is −infinity and a negative input NaN, as C and numpy say.
 * LogSoftmax written out (x − max − log Σ exp) ends with it.
 */
#include "layer.h"

#include <math.h>

typedef struct {
  CnnfiltPointOp parent_instance;
} CnnfiltLog;

typedef CnnfiltPointOpClass CnnfiltLogClass;

CNNFILT_DEFINE_OP_TYPE (CnnfiltLog, cnnfilt_log, CNNFILT_TYPE_POINT_OP)

CNNFILT_POINT_OP_RUN (cnnfilt_log_run, CnnfiltLog, logf (x))

static void
cnnfilt_log_class_init (CnnfiltLogClass *klass)
{
  CnnfiltOpClass *op_class = CNNFILT_OP_CLASS (klass);
  op_class->name = "log";
  op_class->example = "softmax ! log";
  op_class->description = "Natural logarithm: log(x) (−infinity at 0, NaN below)";
  op_class->onnx_op_type = "Log";
  CNNFILT_POINT_OP_CLASS_SET_RUN (klass, cnnfilt_log_run);
}

LAYER_NO_INIT (CnnfiltLog, cnnfilt_log)
