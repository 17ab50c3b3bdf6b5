# The api runs on ECS, the web front end on Cloud Run; both images are built from
# services/<name>/Dockerfile.
resource "aws_ecs_task_definition" "api" {
  family = "shop-api"
  container_definitions = jsonencode([{
    name         = "api"
    image        = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop/api:1.4.2"
    portMappings = [{ containerPort = 8080 }]
  }])
}

resource "google_cloud_run_v2_service" "web" {
  name     = "web"
  location = "europe-west1"
  template {
    containers {
      image = "europe-docker.pkg.dev/acme/shop/web:3.2.0"
      ports {
        container_port = 8080
      }
    }
  }
}
