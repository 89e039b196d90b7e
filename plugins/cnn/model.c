/* model.c: a whole ONNX model, or the part of it up to one node, as an op
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Example: cnnfilt run 'resize width=224 height=224 ! model file=resnet18.onnx output=layer1' \
 *            --format npy -o features/ photos/
 *
 * The model is imported once (cnnfilt_graph_new_from_onnx_file) and run as
 * a graph of its own; output picks any node by name (`cnnfilt model info`
 * lists them), which cuts the model there: the feature maps of a layer, or
 * an embedding before the classifier.
 */
#include "layer.h"

#include <string.h>

typedef struct {
  CnnfiltOp parent_instance;
  gchar *file;
  gchar *output;
  CnnfiltGraph *graph; /* imported on first use, for file and output */
} CnnfiltModel;

typedef CnnfiltOpClass CnnfiltModelClass;

CNNFILT_DEFINE_OP_TYPE (CnnfiltModel, cnnfilt_model, CNNFILT_TYPE_OP)

enum { PROP_0, PROP_FILE, PROP_OUTPUT };

static gboolean
ensure_graph (CnnfiltModel *self, GError **error)
{
  if (self->graph != NULL)
    return TRUE;
  if (self->file == NULL || *self->file == '\0')
    {
      g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_INVALID_ARGUMENT,
                   "model: property file is not set (file=MODEL.onnx)");
      return FALSE;
    }
  g_autoptr (CnnfiltGraph) graph = cnnfilt_graph_new_from_onnx_file (self->file, error);
  if (graph == NULL)
    return FALSE;
  if (cnnfilt_graph_get_n_inputs (graph) != 1)
    {
      g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_UNSUPPORTED,
                   "model: %s takes %u inputs; a pipeline stage has one", self->file,
                   cnnfilt_graph_get_n_inputs (graph));
      return FALSE;
    }
  if (self->output != NULL && *self->output != '\0' &&
      !cnnfilt_graph_add_output (graph, self->output, error))
    {
      g_prefix_error (error, "model: %s: ", self->file);
      return FALSE;
    }
  self->graph = g_steal_pointer (&graph);
  return TRUE;
}

/* The output the op gives: the one named, else the model's first. */
static guint
output_index (CnnfiltModel *self)
{
  /* an added output comes after the model's own */
  return self->output != NULL && *self->output != '\0'
             ? cnnfilt_graph_get_n_outputs (self->graph) - 1 : 0;
}

static gboolean
cnnfilt_model_validate (CnnfiltOp *op, GError **error)
{
  return ensure_graph ((CnnfiltModel *) op, error);
}

static gboolean
cnnfilt_model_infer (CnnfiltOp *op, const CnnfiltShape *inputs, guint n_inputs,
                     CnnfiltShape *output, GError **error)
{
  CnnfiltModel *self = (CnnfiltModel *) op;
  if (!cnnfilt_graph_prepare (self->graph, inputs, 1, error))
    {
      g_prefix_error (error, "model: %s: ", self->file);
      return FALSE;
    }
  return cnnfilt_graph_get_output_shape (self->graph, output_index (self), output);
}

static gboolean
cnnfilt_model_run (CnnfiltOp *op, const CnnfiltRunContext *ctx,
                   CnnfiltTensor **inputs, guint n_inputs, CnnfiltTensor *output,
                   GError **error)
{
  CnnfiltModel *self = (CnnfiltModel *) op;
  /* the inner graph runs where the outer one does, with its threads */
  cnnfilt_graph_set_device (self->graph, ctx->device);
  if (!cnnfilt_graph_run (self->graph, inputs, 1, error))
    {
      g_prefix_error (error, "model: %s: ", self->file);
      return FALSE;
    }
  g_autoptr (CnnfiltTensor) result = cnnfilt_graph_get_output (self->graph, output_index (self));
  gsize count = 0;
  const gfloat *values = cnnfilt_tensor_get_data (result, &count);
  memcpy (cnnfilt_tensor_get_data (output, NULL), values, count * sizeof (gfloat));
  return TRUE;
}

static void
cnnfilt_model_set_property (GObject *object, guint id, const GValue *value, GParamSpec *pspec)
{
  CnnfiltModel *self = (CnnfiltModel *) object;
  switch (id)
    {
    case PROP_FILE:
      g_free (self->file);
      self->file = g_value_dup_string (value);
      break;
    case PROP_OUTPUT:
      g_free (self->output);
      self->output = g_value_dup_string (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, id, pspec);
      return;
    }
  g_clear_object (&self->graph);
}

static void
cnnfilt_model_get_property (GObject *object, guint id, GValue *value, GParamSpec *pspec)
{
  CnnfiltModel *self = (CnnfiltModel *) object;
  switch (id)
    {
    case PROP_FILE:
      g_value_set_string (value, self->file);
      break;
    case PROP_OUTPUT:
      g_value_set_string (value, self->output);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, id, pspec);
    }
}

static void
cnnfilt_model_finalize (GObject *object)
{
  CnnfiltModel *self = (CnnfiltModel *) object;
  g_free (self->file);
  g_free (self->output);
  g_clear_object (&self->graph);
  G_OBJECT_CLASS (cnnfilt_model_parent_class)->finalize (object);
}

/* The inner graph on the device, its output copied there */
static gboolean
cnnfilt_model_run_cl (CnnfiltOp *op, const CnnfiltRunContext *ctx,
                      CnnfiltTensor **inputs, guint n_inputs, CnnfiltTensor *output,
                      GError **error)
{
  CnnfiltModel *self = (CnnfiltModel *) op;
  cnnfilt_graph_set_device (self->graph, ctx->device);
  if (!cnnfilt_graph_run (self->graph, inputs, 1, error))
    {
      g_prefix_error (error, "model: %s: ", self->file);
      return FALSE;
    }
  g_autoptr (CnnfiltTensor) result = cnnfilt_graph_get_output (self->graph, output_index (self));
  return cnnfilt_kernel_copy_all (op, ctx, result, output, error);
}

static void
cnnfilt_model_class_init (CnnfiltModelClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  CnnfiltOpClass *op_class = CNNFILT_OP_CLASS (klass);
  object_class->set_property = cnnfilt_model_set_property;
  object_class->get_property = cnnfilt_model_get_property;
  object_class->finalize = cnnfilt_model_finalize;
  op_class->name = "model";
  op_class->example = "resize width=224 height=224 ! model file=resnet18.onnx output=layer1";
  op_class->description = "An ONNX model run as one op, up to any node (feature maps, embeddings)";
  op_class->n_inputs = 1;
  op_class->validate = cnnfilt_model_validate;
  op_class->infer = cnnfilt_model_infer;
  op_class->run = cnnfilt_model_run;
  op_class->run_cl = cnnfilt_model_run_cl;
  const GParamFlags flags = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS;
  g_object_class_install_property (object_class, PROP_FILE,
    g_param_spec_string ("file", NULL, "The ONNX model file", NULL, flags));
  g_object_class_install_property (object_class, PROP_OUTPUT,
    g_param_spec_string ("output", NULL, "The node whose tensor is the output (`cnnfilt model "
                         "info` lists them); empty: the model's first output", NULL, flags));
}

LAYER_NO_INIT (CnnfiltModel, cnnfilt_model)
