"""The pyfunc model as MLflow loads it "from code": this file is copied into every logged model
and run by mlflow.pyfunc.load_model, instead of a cloudpickle of the model object (a pickle runs
whatever its bytes say when loaded). The model's own files are read by families.load_model,
which unpickles nothing. This package's loader, mlflow_model.load_logged_model, does not even
run this file."""

from mlflow.models import set_model

from sentiment_assets.models.mlflow_model import SentimentPyfunc

set_model(SentimentPyfunc())
