"""Reader-facing URLs."""

app_name = "stories"

urlpatterns = []
