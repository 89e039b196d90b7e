# test_bindings.py: libcnnfilt through GObject introspection, the raw C API
# as Python programs see it (the overrides have test_overrides.py). Run by
# pytest (bindings/python/tests/conftest.py).
# SPDX-License-Identifier: LGPL-2.1-or-later

import os
import tempfile
import unittest

import gi

gi.require_version("Cnnfilt", "1.0")
gi.require_version("GLib", "2.0")
from gi.repository import Cnnfilt, GLib  # noqa: E402

import numpy as np  # noqa: E402

# the repository's tests/ folder, with the model and ONNX files these use
TESTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "tests")


def tensor_from_array(array):
    """A Cnnfilt.Tensor from a numpy array of 2 (h, w), 3 (c, h, w) or 4 dimensions."""
    array = np.ascontiguousarray(array, dtype=np.float32)
    shape = (1,) * (4 - array.ndim) + array.shape
    return Cnnfilt.Tensor.new_from_bytes(GLib.Bytes(array.tobytes()), *shape)


def array_from_tensor(tensor):
    shape = (tensor.get_n(), tensor.get_c(), tensor.get_h(), tensor.get_w())
    data = tensor.get_bytes().get_data()
    return np.frombuffer(data, dtype=np.float32).reshape(shape).copy()


def run(pipeline, array):
    graph = Cnnfilt.Graph.new_from_string(pipeline)
    return array_from_tensor(graph.process(tensor_from_array(array)))


EXAMPLE_A = np.array(
    [[1, 1, 1, 0, 0],
     [0, 1, 1, 1, 0],
     [0, 0, 1, 1, 1],
     [0, 0, 1, 1, 0],
     [0, 1, 1, 0, 0]], dtype=np.float32)
EXAMPLE_A_OUT = np.array([[4, 3, 4], [2, 4, 3], [2, 3, 4]], dtype=np.float32)


class TestBindings(unittest.TestCase):
    def assertErrorMatches(self, error, code, *parts):
        self.assertEqual(error.domain, "cnnfilt-error-quark")
        self.assertTrue(error.matches(Cnnfilt.error_quark(), code),
                        f"code {error.code}, expected {int(code)}: {error.message}")
        for part in parts:
            self.assertIn(part, error.message)

    def test_prepare_and_buffer_size(self):
        graph = Cnnfilt.Graph.new_from_string("grayscale ! sobel ! normalize")
        shape = Cnnfilt.Shape()
        shape.n, shape.c, shape.h, shape.w = 1, 3, 6, 4
        graph.prepare([shape])
        ok, out = graph.get_output_shape(0)
        self.assertTrue(ok)
        self.assertEqual((out.n, out.c, out.h, out.w), (1, 1, 6, 4))
        # two 1x1x6x4 buffers shared by the chain, plus the output; each
        # 96-byte buffer takes two 64-byte blocks
        self.assertEqual(graph.get_buffer_size(), 3 * 128)

    def test_worked_example_a(self):
        out = run('kernel matrix="1,0,1;0,1,0;1,0,1" padding=0', EXAMPLE_A)
        self.assertEqual(out.shape, (1, 1, 3, 3))
        np.testing.assert_allclose(out[0, 0], EXAMPLE_A_OUT, atol=1e-5)

    def test_worked_example_c_stride(self):
        rows = [[1, 2, 3, 0, 1, 2, 3], [0, 1, 2, 3, 0, 1, 2],
                [3, 0, 1, 2, 3, 0, 1], [2, 3, 0, 1, 2, 3, 0]]
        image = np.array(rows + rows[:3], dtype=np.float32)
        out = run("kernel matrix='2,0,1;0,1,2;1,0,2' stride=2 padding=0", image)
        expected = np.array([[15, 17, 15], [17, 15, 17], [15, 17, 15]], dtype=np.float32)
        np.testing.assert_allclose(out[0, 0], expected, atol=1e-5)

    def test_sobel_against_numpy(self):
        rng = np.random.default_rng(1)
        image = rng.random((2, 3, 9, 7), dtype=np.float32)
        out = run("sobel direction=x border=reflect", image)
        padded = np.pad(image, ((0, 0), (0, 0), (1, 1), (1, 1)), mode="reflect")
        kernel = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], dtype=np.float64)
        expected = np.zeros(image.shape)
        for i in range(3):
            for j in range(3):
                expected += kernel[i, j] * padded[:, :, i:i + 9, j:j + 7]
        self.assertEqual(out.shape, image.shape)
        np.testing.assert_allclose(out, expected, atol=1e-5)

    def test_numpy_round_trip(self):
        values = np.array([0.1, -3.25, 1e-7, 1e30, -0.0, 65504.0], dtype=np.float32)
        array = values.reshape(1, 2, 1, 3)
        tensor = tensor_from_array(array)
        self.assertEqual((tensor.get_n(), tensor.get_c(), tensor.get_h(), tensor.get_w()),
                         (1, 2, 1, 3))
        self.assertEqual(tensor.get_size(), 6)
        back = array_from_tensor(tensor)
        self.assertEqual(back.tobytes(), array.tobytes())
        self.assertAlmostEqual(tensor.get_value(0, 1, 0, 0), 1e30, delta=1e24)
        tensor.set_value(0, 0, 0, 0, 2.5)
        self.assertEqual(array_from_tensor(tensor)[0, 0, 0, 0], 2.5)
        # the tensor holds a copy: the source array is untouched
        self.assertAlmostEqual(float(array[0, 0, 0, 0]), 0.1, places=6)

    def test_tensor_size_mismatch(self):
        with self.assertRaises(GLib.Error) as caught:
            Cnnfilt.Tensor.new_from_bytes(GLib.Bytes(b"\0" * 12), 1, 1, 2, 2)
        self.assertErrorMatches(caught.exception, Cnnfilt.Error.SHAPE, "1x1x2x2")

    def test_parse_error_names_property(self):
        with self.assertRaises(GLib.Error) as caught:
            Cnnfilt.Graph.new_from_string("grayscale ! sobel direction=z")
        self.assertErrorMatches(caught.exception, Cnnfilt.Error.INVALID_ARGUMENT,
                                "position 19", "sobel", "direction", "'z'")
        with self.assertRaises(GLib.Error) as caught:
            Cnnfilt.Graph.new_from_string("box-blur radius=0")
        self.assertErrorMatches(caught.exception, Cnnfilt.Error.INVALID_ARGUMENT,
                                "radius", "out of range")
        with self.assertRaises(GLib.Error) as caught:
            Cnnfilt.Graph.new_from_string('kernel matrix="1,2;3"')
        self.assertErrorMatches(caught.exception, Cnnfilt.Error.INVALID_ARGUMENT, "matrix")

    def test_run_error_names_node(self):
        graph = Cnnfilt.Graph.new_from_string("kernel matrix='1,1,1;1,1,1;1,1,1' padding=0")
        with self.assertRaises(GLib.Error) as caught:
            graph.process(tensor_from_array(np.zeros((2, 2), dtype=np.float32)))
        self.assertErrorMatches(caught.exception, Cnnfilt.Error.SHAPE, "kernel", "1x1x2x2")

    def test_op_api(self):
        op = Cnnfilt.Op.new("threshold")
        self.assertEqual(op.get_name(), "threshold")
        op.set_property_from_string("value", "0.5")
        self.assertEqual(op.get_property_as_string("value"), "0.5")
        # GObject properties work as in any binding
        op.props.invert = True
        self.assertEqual(op.get_property_as_string("invert"), "true")
        out = array_from_tensor(op.process(tensor_from_array(np.array([[0.2, 0.8]]))))
        np.testing.assert_array_equal(out[0, 0], [[1, 0]])
        with self.assertRaises(GLib.Error) as caught:
            Cnnfilt.Op.new("nope")
        self.assertErrorMatches(caught.exception, Cnnfilt.Error.INVALID_ARGUMENT, "'nope'")
        self.assertIn("sobel", Cnnfilt.registry_list_ops())

    def test_graph_api_diamond(self):
        graph = Cnnfilt.Graph.new()
        graph.add_input("in")
        graph.add_node("gray", Cnnfilt.Op.new("grayscale"), ["in"])
        graph.add_node("neg", Cnnfilt.Op.new("invert"), ["gray"])
        graph.add_node("blur", Cnnfilt.Op.new("box-blur"), ["gray"])
        graph.add_output("neg")
        graph.add_output("blur")
        rgb = np.full((3, 4, 4), 0.25, dtype=np.float32)
        graph.run([tensor_from_array(rgb)])
        self.assertEqual(graph.get_n_outputs(), 2)
        neg = array_from_tensor(graph.get_output(0))
        blur = array_from_tensor(graph.get_output(1))
        np.testing.assert_allclose(neg, np.full((1, 1, 4, 4), 0.75), atol=1e-6)
        np.testing.assert_allclose(blur, np.full((1, 1, 4, 4), 0.25), atol=1e-6)
        self.assertEqual(graph.get_node_names(), ["in", "gray", "neg", "blur"])
        self.assertEqual(graph.get_node_inputs("blur"), ["gray"])
        self.assertEqual(graph.get_node_inputs("in"), [])
        self.assertEqual(graph.get_node_inputs("nope"), [])  # NULL reads as [] in Python
        ok, shape = graph.get_node_shape("gray")
        self.assertTrue(ok)
        self.assertEqual((shape.n, shape.c, shape.h, shape.w), (1, 1, 4, 4))

    def test_conv2d_tensor_properties(self):
        # a residual conv block built from Python, against numpy
        rng = np.random.default_rng(0)
        x = rng.standard_normal((2, 3, 6, 5)).astype(np.float32)
        w = rng.standard_normal((3, 3, 3, 3)).astype(np.float32)
        b = rng.standard_normal(3).astype(np.float32)
        conv = Cnnfilt.Op.new("conv2d")
        conv.props.weights = tensor_from_array(w)
        conv.props.bias = tensor_from_array(b.reshape(3, 1, 1, 1))
        conv.set_property_from_string("padding", "1")
        self.assertEqual(conv.get_property_as_string("weights"), "<3x3x3x3 tensor>")
        self.assertIsNone(conv.get_property_as_string("padding"))  # write-only shorthand
        graph = Cnnfilt.Graph.new()
        graph.add_input("x")
        graph.add_node("conv", conv, ["x"])
        graph.add_constant("shift", tensor_from_array(np.full((1, 3, 1, 1), 0.5)))
        self.assertEqual(graph.get_constant("shift").get_c(), 3)
        self.assertIsNone(graph.get_constant("x"))
        graph.add_node("sum", Cnnfilt.Op.new("add"), ["conv", "shift"])
        graph.add_node("cat", Cnnfilt.Op.new("concat"), ["x", "sum"])
        graph.run([tensor_from_array(x)])
        got = array_from_tensor(graph.get_output(0))
        padded = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
        want = np.zeros((2, 3, 6, 5), dtype=np.float64)
        for i in range(3):
            for j in range(3):
                want += np.einsum("nchw,oc->nohw", padded[:, :, i:i + 6, j:j + 5], w[:, :, i, j])
        want += b.reshape(1, 3, 1, 1) + 0.5
        np.testing.assert_allclose(got, np.concatenate([x, want], axis=1), rtol=1e-5, atol=1e-5)

    def test_image_load_full_and_header(self):
        with tempfile.TemporaryDirectory() as folder:
            path = os.path.join(folder, "wide.tif")
            Cnnfilt.image_save(tensor_from_array(np.zeros((2, 30, 40), dtype=np.float32)), path)
            ok, width, height, channels = Cnnfilt.image_read_header(path)
            self.assertEqual((width, height, channels), (40, 30, 2))
            tensor = Cnnfilt.Tensor()
            Cnnfilt.image_load_full(path, tensor, Cnnfilt.LoadFlags.NO_AUTOROTATE, 0, 0)
            self.assertEqual((tensor.get_c(), tensor.get_h(), tensor.get_w()), (2, 30, 40))
            with self.assertRaises(GLib.Error) as caught:
                Cnnfilt.image_load_full(path, tensor, Cnnfilt.LoadFlags.DEFAULT, 1000, 0)
            self.assertErrorMatches(caught.exception, Cnnfilt.Error.UNSUPPORTED, path, "40×30",
                                    "1000 pixels")

    def test_op_facts_and_devices(self):
        # what `model info` reads: parameters, FLOPs, windows, from the op itself
        conv = Cnnfilt.Op.new("conv2d")
        conv.props.weights = tensor_from_array(np.ones((4, 3, 3, 3), dtype=np.float32))
        conv.props.stride = 2
        self.assertEqual(conv.get_n_params(), 4 * 3 * 3 * 3)
        shape = Cnnfilt.Shape()
        shape.n, shape.c, shape.h, shape.w = 1, 3, 9, 9
        ok, out = conv.infer([shape])
        self.assertEqual((out.c, out.h, out.w), (4, 4, 4))
        # 2·(3·3·3) per output value, no bias
        self.assertEqual(conv.get_flops([shape], out), 2 * 64 * 27)
        ok, window = conv.get_window()
        self.assertTrue(ok)
        self.assertEqual((window.kernel_h, window.kernel_w, window.stride_h, window.stride_w),
                         (3, 3, 2, 2))
        linear = Cnnfilt.Op.new("linear")
        self.assertTrue(linear.get_window()[0] and linear.get_window()[1].is_global)
        relu = Cnnfilt.Op.new("relu")
        self.assertIsInstance(relu, Cnnfilt.PointOp)
        self.assertFalse(relu.get_window()[0])
        # one op run on a device of one thread, as a graph would
        device = Cnnfilt.Device.new_from_string("cpu")
        device.props.n_threads = 1
        x = tensor_from_array(np.array([[-1.0, 2.0]], dtype=np.float32))
        y = Cnnfilt.Tensor()
        relu.run_on_device(device, [x], y)
        np.testing.assert_array_equal(array_from_tensor(y).ravel(), [0.0, 2.0])
        graph = Cnnfilt.Graph.new_from_string("relu")
        graph.props.trace = True
        self.assertTrue(graph.props.trace)

    def test_area_op(self):
        # windowed ops share the area op base: its window and plan
        pool = Cnnfilt.Op.new("max-pool")
        self.assertIsInstance(pool, Cnnfilt.AreaOp)
        pool.set_property_from_string("kernel", "3")
        pool.set_property_from_string("stride", "2")
        pool.props.ceil_mode = True
        ok, plan = pool.plan(6, 6)
        self.assertTrue(ok)
        # ceil((6 - 3) / 2) + 1 = 3, as PyTorch's MaxPool2d(3, 2, ceil_mode=True)
        self.assertEqual((plan.out_h, plan.out_w, plan.kernel_h, plan.stride_h), (3, 3, 3, 2))
        ok, window = Cnnfilt.Op.new("sobel").resolve()
        self.assertEqual((window.kernel_h, window.pad_top, window.border),
                         (3, 1, Cnnfilt.Border.REPLICATE))
        with self.assertRaises(GLib.Error) as caught:
            Cnnfilt.Op.new("conv2d").resolve()
        self.assertErrorMatches(caught.exception, Cnnfilt.Error.INVALID_ARGUMENT, "conv2d: ",
                                "weights")
        self.assertNotIsInstance(Cnnfilt.Op.new("relu"), Cnnfilt.AreaOp)

    def test_devices_and_opencl(self):
        devices = Cnnfilt.Device.enumerate()
        self.assertEqual(devices[0].get_name(), "cpu")
        self.assertEqual(devices[0].get_kind(), Cnnfilt.DeviceKind.CPU)
        if len(devices) < 2 or os.environ.get("CNNFILT_TEST_OPENCL") == "0":
            self.skipTest("no OpenCL platform")
        device = Cnnfilt.Device.new_from_string("opencl")
        self.assertEqual(device.get_kind(), Cnnfilt.DeviceKind.OPENCL)
        self.assertGreaterEqual(device.props.compute_units, 1)
        self.assertTrue(Cnnfilt.Op.new("sobel").runs_on(Cnnfilt.DeviceKind.OPENCL))
        x = np.random.default_rng(3).random((1, 3, 40, 50), dtype=np.float32)
        cpu = run("grayscale ! sobel ! normalize", x)
        graph = Cnnfilt.Graph.new_from_string("grayscale ! sobel ! normalize")
        graph.set_device(device)
        before = device.props.downloaded_bytes
        out = graph.process(tensor_from_array(x))
        self.assertEqual(device.props.downloaded_bytes, before)  # still on the device
        got = array_from_tensor(out)
        self.assertEqual(device.props.downloaded_bytes - before, 40 * 50 * 4)
        np.testing.assert_allclose(got, cpu, atol=1e-4 * np.abs(cpu).max())
        with self.assertRaises(GLib.Error) as caught:
            Cnnfilt.Device.new_from_string("opencl:9:9")
        self.assertErrorMatches(caught.exception, Cnnfilt.Error.DEVICE, "opencl:9:9", "cpu")

    def test_closest_name(self):
        self.assertEqual(Cnnfilt.closest_name("sobl", ["sobel", "scharr"]), "sobel")
        self.assertEqual(Cnnfilt.closest_name("SOBEL", ["sobel"]), "sobel")
        self.assertIsNone(Cnnfilt.closest_name("x", ["ops"]))

    def test_npy_round_trip(self):
        with tempfile.TemporaryDirectory() as folder:
            path = os.path.join(folder, "a.npy")
            values = np.arange(24, dtype=np.float32).reshape(2, 3, 4) / 7
            np.save(path, values)
            tensor = Cnnfilt.Tensor.new_from_npy_file(path)
            self.assertEqual((tensor.get_n(), tensor.get_c(), tensor.get_h(), tensor.get_w()),
                             (2, 3, 4, 1))
            out = os.path.join(folder, "b.npy")
            tensor.save_npy(out)
            np.testing.assert_array_equal(np.load(out), values.reshape(2, 3, 4, 1))
            device = Cnnfilt.Device.new_from_string("cpu")
            self.assertEqual(device.props.n_threads, 0)
            device.props.n_threads = 1
            self.assertEqual(device.get_n_threads(), 1)
            self.assertTrue(device.props.flush_denormals)
            device.set_flush_denormals(False)
            self.assertFalse(device.get_flush_denormals())

    def test_image_round_trip(self):
        with tempfile.TemporaryDirectory() as folder:
            path = os.path.join(folder, "x.tif")
            values = np.array([[0.1, -2.0], [1e-7, 3.5]], dtype=np.float32)
            Cnnfilt.image_save(tensor_from_array(values), path)
            back = array_from_tensor(Cnnfilt.image_load(path))
            self.assertEqual(back.tobytes(), values.reshape(1, 1, 2, 2).tobytes())
            self.assertEqual(os.listdir(folder), ["x.tif"])
            missing = os.path.join(folder, "missing.png")
            with self.assertRaises(GLib.Error) as caught:
                Cnnfilt.image_load(missing)
            self.assertTrue(caught.exception.message.startswith(missing + ": "),
                            caught.exception.message)

    def test_onnx_model(self):
        # the LeNet-5 of the models suite: PyTorch's logits, imported and cut
        folder = os.path.join(TESTS, "models", "data", "lenet5")
        path = os.path.join(folder, "model.onnx")
        graph = Cnnfilt.Graph.new_from_onnx_file(path)
        ok, declared = graph.get_input_shape(0)
        self.assertTrue(ok)
        self.assertEqual((declared.n, declared.c, declared.h, declared.w), (0, 1, 32, 32))
        self.assertFalse(graph.get_input_shape(1)[0])
        x = np.load(os.path.join(folder, "input.npy"))
        want = np.load(os.path.join(folder, "expected.npy"))
        pool = "/features/features.2/MaxPool"
        self.assertIn(pool, graph.get_node_names())
        graph.add_output(pool)
        graph.run([tensor_from_array(x)])
        logits = array_from_tensor(graph.get_output(0)).reshape(want.shape)
        np.testing.assert_allclose(logits, want, rtol=1e-4, atol=1e-5 * np.abs(want).max())
        ok, shape = graph.get_node_shape(pool)
        self.assertEqual((shape.n, shape.c, shape.h, shape.w), (4, 6, 14, 14))
        # the same cut as a pipeline stage
        stage = Cnnfilt.Graph.new_from_string(f"model file='{path}' output={pool}")
        cut = array_from_tensor(stage.process(tensor_from_array(x)))
        np.testing.assert_array_equal(cut, array_from_tensor(graph.get_output(1)))
        with open(path, "rb") as f:
            data = f.read()
        self.assertEqual(Cnnfilt.Graph.new_from_onnx_bytes(GLib.Bytes(data)).get_n_inputs(), 1)
        with self.assertRaises(GLib.Error) as caught:
            Cnnfilt.Graph.new_from_onnx_bytes(GLib.Bytes(data[:len(data) // 2]))
        self.assertEqual(caught.exception.domain, "cnnfilt-error-quark")

    def test_onnx_strings_not_utf8(self):
        # Models holding bytes ff fe where ONNX wants UTF-8 text
        # (tests/onnx/invalid-utf8/make.py): errors quoting them must still
        # reach Python as GLib.Error, and node names as str, with each
        # invalid byte written as \xNN.
        folder = os.path.join(TESTS, "onnx", "invalid-utf8")
        refused = {
            "pad-mode.onnx": (Cnnfilt.Error.INVALID_ARGUMENT, ["node 'pad' (Pad, opset 13)", "'\\xff\\xfe'"]),
            "op-type.onnx": (Cnnfilt.Error.UNSUPPORTED, ["(Re\\xfflu, opset 13)", "no op implements Re\\xfflu"]),
            "attribute.onnx": (Cnnfilt.Error.UNSUPPORTED,
                               ["node 'relu\\xff\\xfe'", "attribute 'a\\xff\\xfe' is not supported"]),
        }
        for name, (code, parts) in refused.items():
            path = os.path.join(folder, name)
            with open(path, "rb") as f:
                data = f.read()
            for load in (lambda: Cnnfilt.Graph.new_from_onnx_file(path),
                         lambda: Cnnfilt.Graph.new_from_onnx_bytes(GLib.Bytes(data))):
                with self.assertRaises(GLib.Error, msg=name) as caught:
                    load()
                self.assertErrorMatches(caught.exception, code, *parts)
        graph = Cnnfilt.Graph.new_from_onnx_file(os.path.join(folder, "names.onnx"))
        self.assertEqual(graph.get_node_names(), ["x\\xff\\xfe", "relu\\xff\\xfe"])
        x = np.arange(-8, 8, dtype=np.float32).reshape(1, 1, 4, 4)
        np.testing.assert_array_equal(array_from_tensor(graph.process(tensor_from_array(x))),
                                      np.maximum(x, 0))
