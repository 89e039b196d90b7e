/* eltwise.c: point ops on oneDNN's eltwise kernels
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The tensor is taken as one run of values, whatever its shape and layout:
 * a point op maps each value on its own. A primitive is made for the
 * value count, the eltwise and the thread count of the first run, kept on
 * the op (oneDNN sizes its threading when it makes a primitive), and made
 * anew when one of them changes.
 */
#include "eltwise.h"

#include "onednn.h"

/* below this many values the C loop is faster than a primitive's call */
#define ELTWISE_MIN_VALUES 4096

typedef gboolean (*RunFunc) (CnnfiltOp *op, const CnnfiltRunContext *ctx, CnnfiltTensor **inputs,
                            guint n_inputs, CnnfiltTensor *output, GError **error);

typedef struct {
  LayerEltwiseFunc func;
  RunFunc scalar_run;
  gboolean after;
} EltwiseClass;

typedef struct {
  gsize count;
  guint n_threads;
  LayerEltwise e;
  dnnl_stream_t stream;
  dnnl_primitive_t primitive;
  dnnl_memory_t src, dst;
} EltwisePlan;

static GQuark
eltwise_class_quark (void)
{
  return g_quark_from_static_string ("cnnfilt-layer-eltwise-class");
}

static GQuark
eltwise_plan_quark (void)
{
  return g_quark_from_static_string ("cnnfilt-layer-eltwise-plan");
}

static const EltwiseClass *
eltwise_class_of (CnnfiltOp *op)
{
  for (GType t = G_OBJECT_TYPE (op); t != 0; t = g_type_parent (t))
    {
      const EltwiseClass *ec = g_type_get_qdata (t, eltwise_class_quark ());
      if (ec != NULL)
        return ec;
    }
  return NULL;
}

gboolean
layer_point_op_get_eltwise (CnnfiltOp *op, LayerEltwise *e)
{
  const EltwiseClass *ec = eltwise_class_of (op);
  if (ec == NULL)
    return FALSE;
  ec->func (op, e);
  e->after = ec->after;
  return TRUE;
}

gboolean
layer_activation_post_op (CnnfiltOp *act, LayerEltwise *e)
{
  return act != NULL && layer_point_op_get_eltwise (act, e) && !e->after;
}

CnnfiltOp *
layer_activation_op_new (const gchar *owner, const gchar *name, GError **error)
{
  g_autoptr (GError) local = NULL;
  g_autoptr (CnnfiltOp) act = cnnfilt_op_new (name, &local);
  LayerEltwise e;
  guint n_props = 0;
  if (act != NULL)
    g_free (g_object_class_list_properties (G_OBJECT_GET_CLASS (act), &n_props));
  if (act == NULL || !layer_point_op_get_eltwise (act, &e) || n_props > 0)
    {
      g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_INVALID_ARGUMENT,
                   "%s: activation=%s is not one of silu, gelu, hard-swish, sigmoid, tanh, "
                   "exp, sqrt%s%s", owner, name, local ? ": " : "", local ? local->message : "");
      return NULL;
    }
  return g_steal_pointer (&act);
}

CnnfiltOp *
layer_fuse_activation (CnnfiltOp *op, CnnfiltOp *next)
{
  LayerEltwise e;
  const gchar *name = cnnfilt_op_get_name (next);
  if (!layer_point_op_get_eltwise (next, &e))
    return NULL;
  g_autoptr (CnnfiltOp) act = layer_activation_op_new (cnnfilt_op_get_name (op), name, NULL);
  if (act == NULL)
    return NULL;
  CnnfiltOp *fused = cnnfilt_op_copy (op);
  g_object_set (fused, "activation", name, NULL);
  return fused;
}

gboolean
layer_activate (CnnfiltOp *act, const CnnfiltRunContext *ctx, CnnfiltTensor *output,
                gboolean on_device, GError **error)
{
  if (act == NULL)
    return TRUE;
  CnnfiltOpClass *klass = CNNFILT_OP_GET_CLASS (act);
  return (on_device ? klass->run_cl : klass->run) (act, ctx, &output, 1, output, error);
}

static void
eltwise_plan_free (gpointer data)
{
  EltwisePlan *plan = data;
  if (plan->primitive)
    dnnl_primitive_destroy (plan->primitive);
  if (plan->src)
    dnnl_memory_destroy (plan->src);
  if (plan->dst)
    dnnl_memory_destroy (plan->dst);
  if (plan->stream)
    dnnl_stream_destroy (plan->stream);
  g_free (plan);
}

#define TRY(call) do { if ((status = (call)) != dnnl_success) goto fail; } while (0)

static EltwisePlan *
eltwise_plan_new (gsize count, guint n_threads, const LayerEltwise *e, dnnl_status_t *out_status)
{
  dnnl_engine_t engine = onednn_engine ();
  dnnl_status_t status = dnnl_runtime_error;
  EltwisePlan *plan = g_new0 (EltwisePlan, 1);
  dnnl_primitive_attr_t attr = NULL;
  dnnl_primitive_desc_t pd = NULL;
  *plan = (EltwisePlan) { .count = count, .n_threads = n_threads, .e = *e };
  if (engine == NULL)
    goto fail;
  dnnl_dims_t dims = { (dnnl_dim_t) count };
  dnnl_memory_desc_t md;
  dnnl_eltwise_desc_t desc;
  TRY (dnnl_memory_desc_init_by_tag (&md, 1, dims, dnnl_f32, dnnl_a));
  TRY (dnnl_eltwise_forward_desc_init (&desc, dnnl_forward_inference, e->alg, &md, e->alpha, e->beta));
  TRY (onednn_attr_new (&attr));
  TRY (dnnl_primitive_desc_create (&pd, &desc, attr, engine, NULL));
  TRY (dnnl_primitive_create (&plan->primitive, pd));
  TRY (dnnl_memory_create (&plan->src, &md, engine, DNNL_MEMORY_NONE));
  TRY (dnnl_memory_create (&plan->dst, &md, engine, DNNL_MEMORY_NONE));
  TRY (dnnl_stream_create (&plan->stream, engine, dnnl_stream_default_flags));
fail:
  if (pd)
    dnnl_primitive_desc_destroy (pd);
  if (attr)
    dnnl_primitive_attr_destroy (attr);
  *out_status = status;
  if (status != dnnl_success)
    g_clear_pointer (&plan, eltwise_plan_free);
  return plan;
}

static gboolean
eltwise_run (CnnfiltOp *op, const CnnfiltRunContext *ctx, CnnfiltTensor **inputs,
             guint n_inputs, CnnfiltTensor *output, GError **error)
{
  const EltwiseClass *ec = eltwise_class_of (op);
  gsize count = cnnfilt_tensor_get_size (inputs[0]);
  if (count < ELTWISE_MIN_VALUES || onednn_engine () == NULL)
    return ec->scalar_run (op, ctx, inputs, n_inputs, output, error);
  LayerEltwise e;
  ec->func (op, &e);
  onednn_set_threads (ctx);
  EltwisePlan *plan = g_object_get_qdata (G_OBJECT (op), eltwise_plan_quark ());
  if (plan == NULL || plan->count != count || plan->n_threads != ctx->n_threads ||
      plan->e.alg != e.alg || plan->e.alpha != e.alpha || plan->e.beta != e.beta)
    {
      dnnl_status_t status;
      plan = eltwise_plan_new (count, ctx->n_threads, &e, &status);
      if (plan == NULL)
        return onednn_error (error, cnnfilt_op_get_name (op), "make its eltwise kernel", status);
      g_object_set_qdata_full (G_OBJECT (op), eltwise_plan_quark (), plan, eltwise_plan_free);
    }
  dnnl_status_t status;
  TRY (dnnl_memory_set_data_handle (plan->src, cnnfilt_tensor_get_data (inputs[0], NULL)));
  TRY (dnnl_memory_set_data_handle (plan->dst, cnnfilt_tensor_get_data (output, NULL)));
  dnnl_exec_arg_t args[] = { { DNNL_ARG_SRC, plan->src }, { DNNL_ARG_DST, plan->dst } };
  TRY (onednn_execute (plan->primitive, plan->stream, G_N_ELEMENTS (args), args));
  TRY (dnnl_stream_wait (plan->stream));
  return TRUE;
fail:
  return onednn_error (error, cnnfilt_op_get_name (op), "run its eltwise kernel", status);
}

static void
eltwise_class_set (CnnfiltPointOpClass *klass, LayerEltwiseFunc func, gboolean after)
{
  CnnfiltOpClass *op_class = CNNFILT_OP_CLASS (klass);
  /* kept with the type (and found again if the plugin's classes are made
   * anew) */
  GType type = G_TYPE_FROM_CLASS (klass);
  EltwiseClass *ec = g_type_get_qdata (type, eltwise_class_quark ());
  if (ec == NULL)
    {
      ec = g_new (EltwiseClass, 1);
      g_type_set_qdata (type, eltwise_class_quark (), ec);
    }
  *ec = (EltwiseClass) { func, op_class->run, after };
  if (!after)
    op_class->run = eltwise_run;
}

void
layer_point_op_set_eltwise (CnnfiltPointOpClass *klass, LayerEltwiseFunc func)
{
  eltwise_class_set (klass, func, FALSE);
}

void
layer_point_op_set_eltwise_after (CnnfiltPointOpClass *klass, LayerEltwiseFunc func)
{
  eltwise_class_set (klass, func, TRUE);
}
