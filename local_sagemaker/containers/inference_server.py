"""The model server inside the sandbox: imports the user's module, runs model_fn once, then answers invocations.

One long-lived process per server worker, like one gunicorn worker of the framework images: the model is
loaded once and every mini-batch the transform runner sends is one /invocations request. Requests and
answers travel over two pipes (inference_protocol); the user's prints and tracebacks go to stdout/stderr,
which the runner copies into the job's log.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import traceback

from local_sagemaker.containers.inference_handlers import FRAMEWORKS, JSON, HandlerError, Handlers
from local_sagemaker.containers.inference_protocol import READY, read_message, write_message


def _module_name(program: str) -> str:
    """sagemaker_containers ServingEnv.module_name: `inference.py` is the module `inference`."""
    return program[:-3] if program.endswith(".py") else program


def _load(framework: str, program: str, model_dir: str) -> Handlers:
    try:
        module = importlib.import_module(_module_name(program))
    except Exception as exc:
        traceback.print_exc()
        raise HandlerError(f"importing {program} (SAGEMAKER_PROGRAM)", 500, exc) from exc
    try:
        handlers = Handlers.from_module(module, framework)
    except ValueError as exc:
        raise HandlerError(program, 500, exc) from exc
    handlers.load(model_dir)
    return handlers


def serve(framework: str, program: str, model_dir: str, requests_fd: int, responses_fd: int) -> int:
    requests = os.fdopen(requests_fd, "rb")
    responses = os.fdopen(responses_fd, "wb")
    default_accept = os.environ.get("SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT", JSON)
    try:
        handlers = _load(framework, program, model_dir)
    except HandlerError as exc:
        sys.stderr.write(exc.trace)
        sys.stderr.flush()
        write_message(responses, {"kind": READY, "status": exc.status, "error": str(exc), "trace": exc.trace})
        return 1
    print(f"Model server ready: {program} ({framework} serving, model_fn loaded {model_dir})", flush=True)
    write_message(responses, {"kind": READY, "status": 200})
    while (message := read_message(requests)) is not None:
        header, body = message
        accept = header.get("accept")
        if not accept or accept == "*/*":
            accept = default_accept
        try:
            answer, answer_type = handlers.invoke(body, str(header.get("content_type") or JSON), accept)
        except HandlerError as exc:
            sys.stderr.write(exc.trace)
            sys.stderr.flush()
            write_message(responses, {"status": exc.status, "error": str(exc), "trace": exc.trace})
        else:
            write_message(responses, {"status": 200, "content_type": answer_type}, answer)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--framework", choices=FRAMEWORKS, required=True)
    parser.add_argument("--program", required=True)
    parser.add_argument("--model-dir", required=True)
    parser.add_argument("--requests-fd", type=int, required=True)
    parser.add_argument("--responses-fd", type=int, required=True)
    args = parser.parse_args(argv)
    return serve(args.framework, args.program, args.model_dir, args.requests_fd, args.responses_fd)


if __name__ == "__main__":
    sys.exit(main())
