"""The server Python users write instead of TensorFlow Serving: FastAPI and uvicorn over
tf.saved_model.load, with TF Serving's REST :predict, so one load generator measures both.

    POST /v1/models/NAME:predict   {"instances": [[784 floats], ...]}
                                   -> {"predictions": [{"probabilities": [...], "classes": 7}, ...]}
    GET  /v1/models/NAME           {"model_version_status": [{"version": "...", "state": "AVAILABLE"}]}

It is written the way the FastAPI documentation shows and such services are usually written: one
uvicorn worker, a plain (non-async) endpoint that FastAPI runs in its thread pool, the
SavedModel's serving_default signature called with a tf.constant per request, no batching. It
prints "Serving NAME at URL" once it answers, and stops on SIGTERM or Ctrl-C.

Usage: serve_fastapi.py --model DIR [--name mnist] [--host 127.0.0.1] [--port 8501]
"""

import tfsetup  # first: sets TF_CPP_MIN_LOG_LEVEL=2 (unless set) before TensorFlow loads

import argparse
import os
import socket
import sys
import threading
import time
import urllib.request

import numpy as np

import savedmodel_util

tf = tfsetup.tf


def make_app(model_dir, name):
    """The FastAPI application serving the SavedModel at model_dir (a base or version directory)."""
    from fastapi import Body, FastAPI, HTTPException

    directory = savedmodel_util.resolve(model_dir)
    signature = savedmodel_util.Signature(directory)
    version = os.path.basename(os.path.normpath(directory))
    app = FastAPI(title="mnist on FastAPI")

    @app.get("/v1/models/{model}")
    def status(model: str):
        if model != name:
            raise HTTPException(status_code=404, detail="Servable not found for request: %s" % model)
        return {"model_version_status": [{"version": version, "state": "AVAILABLE"}]}

    @app.post("/v1/models/{target}")
    def predict(target: str, body: dict = Body(...)):
        if target != name + ":predict":
            raise HTTPException(status_code=404, detail="no such method: %s" % target)
        instances = body.get("instances")
        if not isinstance(instances, list) or not instances:
            raise HTTPException(status_code=400, detail="'instances' must be a non-empty list")
        try:
            images = np.asarray(instances, dtype=np.float32).reshape([-1] + signature.item_shape)
        except (ValueError, TypeError) as e:
            raise HTTPException(status_code=400, detail="instances: %s" % e)
        outputs = signature.function(**{signature.input_key: tf.constant(images)})
        columns = {key: value.numpy().tolist() for key, value in outputs.items()}
        return {"predictions": [{key: values[i] for key, values in columns.items()}
                                for i in range(len(images))]}

    return app


def main(argv=None):
    p = argparse.ArgumentParser(prog="serve_fastapi.py", description=__doc__.splitlines()[0])
    p.add_argument("--model", required=True, metavar="DIR")
    p.add_argument("--name", default="mnist")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8501, help="0 for any free port")
    args = p.parse_args(argv)

    import uvicorn

    try:
        app = make_app(args.model, args.name)
    except savedmodel_util.SavedModelError as e:
        print("serve_fastapi.py: %s" % e, file=sys.stderr)
        return 1
    port = args.port
    if port == 0:
        with socket.socket() as s:
            s.bind((args.host, 0))
            port = s.getsockname()[1]
    url = "http://%s:%d/v1/models/%s" % (args.host, port, args.name)

    def announce():
        for _ in range(600):
            try:
                with urllib.request.urlopen(url, timeout=1) as response:
                    if response.status == 200:
                        print("Serving %s at %s" % (args.name, url), flush=True)
                        return
            except OSError:
                time.sleep(0.1)
        print("serve_fastapi.py: the server did not answer at %s within 60 s" % url, file=sys.stderr)

    threading.Thread(target=announce, daemon=True).start()
    uvicorn.run(app, host=args.host, port=port, workers=1, log_level="warning", access_log=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
