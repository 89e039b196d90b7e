/* test-opencl.c: the OpenCL device: specs, residency, fallback, errors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The values of every op on OpenCL are compared with the CPU's by the
 * other suites (tu_run); this one checks what the device itself promises.
 * Where no OpenCL platform exists at all, each test is skipped, saying so.
 */
#include "test-util.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* The device; main() has made sure there is one. */
static CnnfiltDevice *
need_opencl (void)
{
  CnnfiltDevice *device = tu_opencl_device ();
  ck_assert_msg (device != NULL, "the OpenCL device went away");
  return device;
}

static guint64
counter (CnnfiltDevice *device, const gchar *name)
{
  guint64 value = 0;
  g_object_get (device, name, &value, NULL);
  return value;
}

START_TEST (test_devices_and_specs)
{
  g_autolist (CnnfiltDevice) devices = cnnfilt_device_enumerate ();
  ck_assert_uint_ge (g_list_length (devices), 1);
  ck_assert_str_eq (cnnfilt_device_get_name (devices->data), "cpu");
  need_opencl ();
  ck_assert_uint_ge (g_list_length (devices), 2);
  CnnfiltDevice *first = devices->next->data;
  ck_assert_int_eq (cnnfilt_device_get_kind (first), CNNFILT_DEVICE_KIND_OPENCL);
  ck_assert_str_eq (cnnfilt_device_get_name (first), "opencl:0:0");
  g_autofree gchar *platform = NULL, *type = NULL, *version = NULL;
  guint units = 0;
  guint64 memory = 0;
  g_object_get (first, "platform", &platform, "device-type", &type, "version", &version,
                "compute-units", &units, "global-memory", &memory, NULL);
  ck_assert (platform && *platform && version && g_str_has_prefix (version, "OpenCL"));
  ck_assert (g_strv_contains ((const gchar *[]) { "cpu", "gpu", "accelerator", "other", NULL }, type));
  ck_assert_uint_ge (units, 1);
  ck_assert_uint_gt (memory, 0);

  g_autoptr (GError) error = NULL;
  g_autoptr (CnnfiltDevice) by_id = cnnfilt_device_new_from_string ("opencl:0:0", &error);
  ck_assert_msg (by_id != NULL, "%s", error ? error->message : "");
  /* a part of the name, in any case */
  g_autofree gchar *description = g_strdup (cnnfilt_device_get_description (first));
  gchar *paren = strchr (description, ' ');
  if (paren != NULL)
    *paren = '\0';
  g_autofree gchar *upper = g_ascii_strup (description, -1);
  g_autoptr (CnnfiltDevice) by_name = cnnfilt_device_new_from_string (upper, &error);
  ck_assert_msg (by_name != NULL, "'%s': %s", upper, error ? error->message : "");

  g_autoptr (CnnfiltDevice) missing = cnnfilt_device_new_from_string ("opencl:7:9", &error);
  ck_assert (missing == NULL);
  tu_assert_error (error, CNNFILT_ERROR_DEVICE, "unknown device 'opencl:7:9'", "cpu",
                   "opencl:0:0", NULL);
}
END_TEST

/* Every op of the three plugins has a kernel. */
START_TEST (test_every_op_has_a_kernel)
{
  g_auto (GStrv) names = cnnfilt_registry_list_ops ();
  ck_assert (g_strv_length (names) >= 40);
  for (gchar **name = names; *name != NULL; name++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (CnnfiltOp) op = cnnfilt_op_new (*name, &error);
      ck_assert_msg (op != NULL, "%s: %s", *name, error ? error->message : "");
      ck_assert_msg (cnnfilt_op_runs_on (op, CNNFILT_DEVICE_KIND_OPENCL), "%s has no OpenCL kernel",
                     *name);
    }
}
END_TEST

/* A chain of ops with kernels copies its input once and its output back
 * once, only when it is read. */
START_TEST (test_values_stay_on_the_device)
{
  CnnfiltDevice *device = need_opencl ();
  g_autoptr (GError) error = NULL;
  g_autoptr (CnnfiltGraph) graph =
      cnnfilt_graph_new_from_string ("invert ! sobel ! abs ! gaussian-blur sigma=2 ! normalize", &error);
  cnnfilt_graph_set_device (graph, device);
  g_autoptr (CnnfiltTensor) input = cnnfilt_tensor_new (1, 1, 64, 96, &error);
  for (guint i = 0; i < 64 * 96; i++)
    cnnfilt_tensor_get_data (input, NULL)[i] = (gfloat) ((i * 37) % 101) / 100.0f;
  /* a first run builds the programs and uploads the filters' taps */
  g_autoptr (CnnfiltTensor) warm = cnnfilt_graph_process (graph, input, &error);
  ck_assert_msg (warm != NULL, "%s", error ? error->message : "");
  g_autofree gfloat *warm_values = NULL;
  gsize n = 0;
  warm_values = cnnfilt_tensor_get_values (warm, &n);
  g_clear_object (&warm);

  /* the input is written on the host, so it goes up again */
  cnnfilt_tensor_get_data (input, NULL)[0] = 0.5f;
  guint64 up = counter (device, "uploaded-bytes"), down = counter (device, "downloaded-bytes");
  g_autoptr (CnnfiltTensor) out = cnnfilt_graph_process (graph, input, &error);
  ck_assert_msg (out != NULL, "%s", error ? error->message : "");
  /* only the input: the filters' taps stayed on the device */
  ck_assert_uint_eq (counter (device, "uploaded-bytes") - up, 64 * 96 * sizeof (gfloat));
  ck_assert_uint_eq (counter (device, "downloaded-bytes"), down);
  g_autofree gfloat *values = cnnfilt_tensor_get_values (out, &n);
  ck_assert_uint_eq (counter (device, "downloaded-bytes") - down, 64 * 96 * sizeof (gfloat));
  /* reading again moves nothing */
  g_autofree gfloat *again = cnnfilt_tensor_get_values (out, &n);
  ck_assert_uint_eq (counter (device, "downloaded-bytes") - down, 64 * 96 * sizeof (gfloat));
  ck_assert (memcmp (values, again, n * sizeof (gfloat)) == 0);

  /* a reshape that takes over its input's buffer keeps the values on the
   * device: nothing moves between the two inverts */
  g_autoptr (CnnfiltGraph) reshaped =
      cnnfilt_graph_new_from_string ("invert ! reshape n=1 c=96 h=64 w=1 ! invert", &error);
  cnnfilt_graph_set_device (reshaped, device);
  g_autoptr (CnnfiltTensor) first = cnnfilt_graph_process (reshaped, input, &error);
  ck_assert_msg (first != NULL, "%s", error ? error->message : "");
  g_clear_object (&first);
  up = counter (device, "uploaded-bytes");
  down = counter (device, "downloaded-bytes");
  g_autoptr (CnnfiltTensor) twice = cnnfilt_graph_process (reshaped, input, &error);
  ck_assert_msg (twice != NULL, "%s", error ? error->message : "");
  g_autofree gfloat *twice_values = cnnfilt_tensor_get_values (twice, &n);
  ck_assert_uint_eq (counter (device, "uploaded-bytes") - up, 0);
  ck_assert_uint_eq (counter (device, "downloaded-bytes") - down, 64 * 96 * sizeof (gfloat));
  ck_assert_uint_eq (cnnfilt_tensor_get_c (twice), 96);
  const gfloat *in_values = cnnfilt_tensor_get_data (input, NULL);
  for (gsize i = 0; i < n; i++)
    ck_assert_msg (fabsf (twice_values[i] - in_values[i]) < 1e-6, "value %" G_GSIZE_FORMAT, i);
}
END_TEST

/* An op without a kernel, as a third-party plugin may have: it runs on
 * the CPU between two that run on the device, and the values around it
 * move. */
typedef struct {
  CnnfiltOp parent_instance;
} TestSquare;
typedef CnnfiltOpClass TestSquareClass;
static GType test_square_get_type (void);
G_DEFINE_TYPE (TestSquare, test_square, CNNFILT_TYPE_OP)

static gboolean
square_run (CnnfiltOp *op, const CnnfiltRunContext *ctx, CnnfiltTensor **inputs, guint n_inputs,
            CnnfiltTensor *output, GError **error)
{
  gsize n = 0;
  const gfloat *in = cnnfilt_tensor_get_data (inputs[0], &n);
  gfloat *out = cnnfilt_tensor_get_data (output, NULL);
  for (gsize i = 0; i < n; i++)
    out[i] = in[i] * in[i];
  return TRUE;
}

static void
test_square_class_init (TestSquareClass *klass)
{
  klass->name = "test-square";
  klass->description = "x²";
  klass->n_inputs = 1;
  klass->infer = cnnfilt_op_infer_same_shape;
  klass->run = square_run;
}

static void
test_square_init (TestSquare *self)
{
}

START_TEST (test_fallback_to_the_cpu)
{
  CnnfiltDevice *device = need_opencl ();
  g_autoptr (GError) error = NULL;
  g_autoptr (CnnfiltGraph) graph = cnnfilt_graph_new ();
  g_autoptr (CnnfiltOp) invert = cnnfilt_op_new ("invert", &error);
  g_autoptr (CnnfiltOp) square = g_object_new (test_square_get_type (), NULL);
  g_autoptr (CnnfiltOp) relu = cnnfilt_op_new ("leaky-relu", &error);
  ck_assert (!cnnfilt_op_runs_on (square, CNNFILT_DEVICE_KIND_OPENCL));
  ck_assert (cnnfilt_graph_add_input (graph, "x", &error));
  ck_assert (cnnfilt_graph_add_node (graph, "a", invert, (const gchar *[]) { "x", NULL }, &error));
  ck_assert (cnnfilt_graph_add_node (graph, "b", square, (const gchar *[]) { "a", NULL }, &error));
  ck_assert (cnnfilt_graph_add_node (graph, "c", relu, (const gchar *[]) { "b", NULL }, &error));
  ck_assert (cnnfilt_graph_add_output (graph, "c", &error));
  cnnfilt_graph_set_device (graph, device);
  const gfloat values[] = { -1, 0, 0.25f, 2 };
  g_autoptr (CnnfiltTensor) input = tu_tensor (values, 1, 1, 2, 2);
  guint64 up = counter (device, "uploaded-bytes"), down = counter (device, "downloaded-bytes");
  g_autoptr (CnnfiltTensor) out = cnnfilt_graph_process (graph, input, &error);
  ck_assert_msg (out != NULL, "%s", error ? error->message : "");
  const gfloat expected[] = { 4, 1, 0.5625f, 1 };
  tu_assert_tensor (out, 1, 1, 2, 2, expected, 1e-6);
  /* up: the input, then square's output; down: invert's output, then ours */
  ck_assert_uint_eq (counter (device, "uploaded-bytes") - up, 2 * sizeof values);
  ck_assert_uint_eq (counter (device, "downloaded-bytes") - down, 2 * sizeof values);
}
END_TEST

/* A kernel that does not compile: the error names the kernel and the
 * device, and carries the compiler's log. */
START_TEST (test_compile_error_has_the_log)
{
  CnnfiltDevice *device = need_opencl ();
  g_autoptr (GError) error = NULL;
  g_autoptr (CnnfiltOp) op = cnnfilt_op_new ("invert", &error);
  g_autoptr (CnnfiltTensor) t = cnnfilt_tensor_new (1, 1, 1, 4, &error);
  CnnfiltRunContext ctx = { .device = device, .n_threads = 1 };
  CnnfiltKernelLaunch launch = { "__kernel void broken (__global float *x) { x[0] = y; }", NULL,
                                 "broken", 1, { 1 } };
  const CnnfiltKernelArg args[] = { CNNFILT_KERNEL_OUT (t) };
  ck_assert (!cnnfilt_kernel_run (op, &ctx, &launch, args, 1, &error));
  tu_assert_error (error, CNNFILT_ERROR_DEVICE, "kernel broken", "compiling",
                   cnnfilt_device_get_name (device), "build log", "y", NULL);
  g_clear_error (&error);
  /* the same kernel name on the CPU device: a clear error, no crash */
  CnnfiltRunContext cpu = { .device = g_object_new (CNNFILT_TYPE_DEVICE, NULL), .n_threads = 1 };
  ck_assert (!cnnfilt_kernel_run (op, &cpu, &launch, args, 1, &error));
  tu_assert_error (error, CNNFILT_ERROR_DEVICE, "needs an OpenCL device", NULL);
  g_object_unref (cpu.device);
}
END_TEST

/* A tensor larger than one device buffer may be: refused with the sizes. */
START_TEST (test_too_large_for_the_device)
{
  CnnfiltDevice *device = need_opencl ();
  guint64 most = 0;
  g_object_get (device, "max-allocation", &most, NULL);
  g_autoptr (GError) error = NULL;
  /* one plane just larger than a buffer may be; its host memory is
   * reserved, never touched (set_shape leaves the values unspecified) */
  guint side = (guint) ceil (sqrt ((gdouble) most / sizeof (gfloat))) + 1;
  CnnfiltShape shape = { 1, 1, side, side };
  g_autoptr (CnnfiltTensor) big = g_object_new (CNNFILT_TYPE_TENSOR, NULL);
  /* the input and the graph's output; meson's MALLOC_PERTURB_ may touch
   * them both, so the memory must really be there */
  guint64 needed = 2 * (guint64) side * side * sizeof (gfloat), available = 0;
  g_autofree gchar *meminfo = NULL;
  const gchar *line;
  if (g_file_get_contents ("/proc/meminfo", &meminfo, NULL, NULL) &&
      (line = strstr (meminfo, "MemAvailable:")) != NULL)
    available = g_ascii_strtoull (line + strlen ("MemAvailable:"), NULL, 10) << 10;
  if (side > 65536 || available < needed + (needed >> 2) ||
      !cnnfilt_tensor_set_shape (big, &shape, &error))
    {
      printf ("# SKIP no host memory for two %ux%u tensors (%" G_GUINT64_FORMAT " MiB free)\n",
              side, side, available >> 20);
      return;
    }
  g_autoptr (CnnfiltGraph) graph = cnnfilt_graph_new_from_string ("invert", &error);
  cnnfilt_graph_set_device (graph, device);
  g_autoptr (CnnfiltTensor) out = cnnfilt_graph_process (graph, big, &error);
  ck_assert (out == NULL);
  tu_assert_error (error, CNNFILT_ERROR_DEVICE, "invert", "MiB", "one buffer may hold",
                   cnnfilt_device_get_name (device), NULL);
}
END_TEST

static Suite *
opencl_suite (void)
{
  Suite *suite = suite_create ("opencl");
  TCase *tc = tu_tcase ("opencl");
  tcase_add_test (tc, test_devices_and_specs);
  tcase_add_test (tc, test_every_op_has_a_kernel);
  tcase_add_test (tc, test_values_stay_on_the_device);
  tcase_add_test (tc, test_fallback_to_the_cpu);
  tcase_add_test (tc, test_compile_error_has_the_log);
  tcase_add_test (tc, test_too_large_for_the_device);
  suite_add_tcase (suite, tc);
  return suite;
}

int
main (void)
{
  if (tu_opencl_device () == NULL)
    {
      /* TAP: the whole suite skipped, with the reason */
      printf ("1..0 # SKIP no OpenCL platform (Debian: pocl-opencl-icd), or CNNFILT_TEST_OPENCL=0\n");
      return 0;
    }
  /* OpenCL runtimes start threads (PoCL's workers) that a forked child
   * lacks: once the device is open, the tests run in this process. */
  g_setenv ("CK_FORK", "no", TRUE);
  return tu_run_suite (opencl_suite ());
}
