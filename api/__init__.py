"""HTTP API (FastAPI) over the engine service layer; comes with the API issue."""
