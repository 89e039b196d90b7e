/* fuzz-onnx.c: libFuzzer target for the ONNX importer
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Any bytes must give a graph or a GError in CNNFILT_ERROR, never a crash,
 * a leak, a read past the end or an allocation out of proportion to the
 * input. Graphs that import are also prepared for small inputs of rank 4
 * and run when their buffers are small, so that what the importer accepts
 * is exercised by the ops.
 */
#include <cnnfilt.h>

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);
const char *__asan_default_options (void);

/* A model may legitimately ask for a tensor of gigabytes (Pad by 10^9):
 * the graph then reserves it when prepared. Under ASan such a request gets
 * NULL, which the library reports as a GError, instead of ending the run;
 * run libFuzzer with -malloc_limit_mb above 2048 so that it agrees. */
const char *
__asan_default_options (void)
{
  return "allocator_may_return_null=1:max_allocation_size_mb=2048";
}

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  static gboolean initialised;
  if (!initialised)
    {
      cnnfilt_init (NULL);
      initialised = TRUE;
    }
  g_autoptr (GBytes) bytes = g_bytes_new_static (data, size);
  g_autoptr (GError) error = NULL;
  g_autoptr (CnnfiltGraph) graph = cnnfilt_graph_new_from_onnx_bytes (bytes, &error);
  if (graph == NULL)
    {
      g_assert (error != NULL && error->domain == CNNFILT_ERROR);
      return 0;
    }
  g_assert (error == NULL);

  /* Every input 1×3×4×4: most graphs reject it, cleanly. */
  guint n_inputs = cnnfilt_graph_get_n_inputs (graph);
  if (n_inputs > 8)
    return 0;
  CnnfiltShape shapes[8];
  CnnfiltTensor *inputs[8];
  for (guint i = 0; i < n_inputs; i++)
    shapes[i] = (CnnfiltShape) { 1, 3, 4, 4 };
  if (!cnnfilt_graph_prepare (graph, shapes, n_inputs, &error))
    {
      g_assert (error != NULL && error->domain == CNNFILT_ERROR);
      return 0;
    }
  if (cnnfilt_graph_get_buffer_size (graph) > (8u << 20))
    return 0;
  for (guint i = 0; i < n_inputs; i++)
    {
      inputs[i] = cnnfilt_tensor_new (1, 3, 4, 4, NULL);
      gfloat *values = cnnfilt_tensor_get_data (inputs[i], NULL);
      for (guint j = 0; j < 3 * 4 * 4; j++)
        values[j] = (gfloat) ((j * 7 + i) % 13) / 6.0f - 1.0f;
    }
  gboolean ok = cnnfilt_graph_run (graph, inputs, n_inputs, &error);
  g_assert (ok == (error == NULL));
  for (guint i = 0; i < n_inputs; i++)
    g_object_unref (inputs[i]);
  return 0;
}
