"""How simlib compiles the code it runs per customer (numba, the field's standard JIT).

``compiled`` functions work on scalars and on arrays they are handed; they never create an
array, so numba's reference counting is switched off (``_nrt=False``). A function called per
customer is ``compiled(inline=True)``: numba pastes it into its caller, so the population step
is one function without calls (a call passing the population's arrays costs far more than a
customer's day: numba passes every array's fields as arguments).

Machine code is cached on disk (``cache=True``, beside the sources or in the user's cache
folder): the first run after an install or a change compiles, later runs load it. Numba keys
a cached function by its own file only, while simlib's compiled functions call one another
across modules; ``_SimlibSources`` keys every one of them by all of simlib's top-level modules,
so a change anywhere recompiles everything (never a stale step).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from numba import njit

HERE = Path(__file__).resolve().parent


def compiled(fn=None, *, inline: bool = False):
    """``fn`` compiled for speed: no array allocation, no reference counting, cached on disk;
    ``inline``: pasted into its callers."""
    def wrap(f):
        return njit(cache=True, _nrt=False, inline="always" if inline else "never")(f)
    return wrap(fn) if fn is not None else wrap


def entry(function, args):
    """The machine-code entry of compiled ``function`` for the types of ``args``, compiled (or
    loaded) if needed: calling it skips numba's per-call dispatch on argument types (tens of
    microseconds for the population's arrays), for a caller that passes arguments of the same
    types every time (the population step, once a day)."""
    signature = tuple(function.typeof_pyval(a) for a in args)
    compiled_result = function.overloads.get(signature)
    if compiled_result is None:
        function.compile(signature)
        compiled_result = function.overloads[signature]
    return compiled_result.entry_point


def in_cache(function) -> bool:
    """Whether compiled ``function``'s machine code is in the disk cache already (else the first
    call compiles it: the population step takes 20-40 CPU s, once per install or change)."""
    try:
        return os.path.exists(function._cache._cache_file._index_path)
    except AttributeError:   # another numba: assume it is there (the first run then says nothing)
        return True


def sources_stamp() -> str:
    """One stamp of every top-level simlib module (name, size, modification time)."""
    h = hashlib.sha256()
    for path in sorted(HERE.glob("*.py")):
        st = path.stat()
        h.update(f"{path.name}:{st.st_size}:{st.st_mtime_ns};".encode())
    return h.hexdigest()


def _install_locators() -> None:
    """Keep the machine code of simlib's functions in a cache folder of its own per
    ``sources_stamp`` (``simlib-<stamp>`` beside numba's usual place), pruning the folders of
    other versions: a cache written by other sources is never read (numba would unpickle its
    index, naming types that may no longer exist, before it compares stamps)."""
    try:
        from numba.core import caching
        impl = caching.CacheImpl
        bases = (caching.InTreeCacheLocator, caching.UserWideCacheLocator)
    except (ImportError, AttributeError):   # another numba: per-file keys (numba's own)
        return
    stamp = sources_stamp()
    folder = f"simlib-{stamp[:16]}"

    def locator(base):
        class SimlibLocator(base):
            def __init__(self, py_func, py_file):
                super().__init__(py_func, py_file)
                self._parent_path = self._cache_path
                self._cache_path = os.path.join(self._cache_path, folder)

            @classmethod
            def from_function(cls, py_func, py_file):
                if Path(py_file).resolve().parent != HERE:
                    return None
                return super().from_function(py_func, py_file)

            def ensure_cache_path(self):
                fresh = not os.path.isdir(self._cache_path)
                super().ensure_cache_path()
                if fresh:
                    _prune(self._parent_path, folder)

            def get_source_stamp(self):
                return stamp
        SimlibLocator.__name__ = f"Simlib{base.__name__}"
        return SimlibLocator

    if not any(getattr(k, "__name__", "").startswith("Simlib") for k in impl._locator_classes):
        impl._locator_classes[:0] = [locator(b) for b in bases]


def _prune(parent: str, keep: str) -> None:
    """Remove the cache folders other simlib sources left in ``parent`` (best effort)."""
    import shutil
    try:
        for entry in os.scandir(parent):
            if entry.is_dir() and entry.name.startswith("simlib-") and entry.name != keep:
                shutil.rmtree(entry.path, ignore_errors=True)
    except OSError:
        pass


_install_locators()


def _prefetch_intrinsic():
    """``prefetch(array, i)``: ask the processor to bring the cache line of ``array[i]`` in ahead
    of use (LLVM's ``llvm.prefetch``; a hint: it changes no value). Customers visited sparsely
    (a day-invariant run's events) are memory-bound: their lines are fetched a few customers
    ahead."""
    from llvmlite import ir
    from numba.core import cgutils, types
    from numba.core.extending import intrinsic

    @intrinsic
    def prefetch(typingctx, array, index):
        if not isinstance(array, types.Array) or not isinstance(index, types.Integer):
            return None

        def codegen(context, builder, signature, args):
            array_type, index_type = signature.args
            ary = context.make_array(array_type)(context, builder, args[0])
            i = context.cast(builder, args[1], index_type, types.intp)
            pointer = cgutils.get_item_pointer(context, builder, array_type, ary, [i], wraparound=False)
            byte_pointer, i32 = ir.IntType(8).as_pointer(), ir.IntType(32)
            hint = cgutils.get_or_insert_function(
                builder.module, ir.FunctionType(ir.VoidType(), [byte_pointer, i32, i32, i32]), "llvm.prefetch.p0i8")
            # read, high locality (keep in every cache level), data
            builder.call(hint, [builder.bitcast(pointer, byte_pointer), ir.Constant(i32, 0), ir.Constant(i32, 3),
                                ir.Constant(i32, 1)])
            return context.get_dummy_value()
        return types.void(array, index), codegen
    return prefetch


prefetch = _prefetch_intrinsic()
