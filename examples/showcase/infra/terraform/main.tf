# The api on an existing Kubernetes cluster, managed with Terraform.
terraform {
  required_version = "~> 1.9.0"
  required_providers {
    kubernetes = {
      source = "hashicorp/kubernetes"
      # Only a lower bound, and no .terraform.lock.hcl committed: each init may pick a new
      # major version.
      version = ">= 2.0"
    }
  }
}

provider "kubernetes" {
  config_path = "~/.kube/config"
}

variable "image_tag" {
  type    = string
  default = "1.4.2"
}

resource "kubernetes_deployment_v1" "api" {
  metadata {
    name = "api"
  }
  spec {
    selector {
      match_labels = { app = "api" }
    }
    template {
      metadata {
        labels = { app = "api" }
      }
      spec {
        security_context {
          run_as_non_root = true
          run_as_user     = 10001
        }
        container {
          name  = "api"
          image = "shopacr.azurecr.io/shop/api:${var.image_tag}"
          port {
            container_port = 5000
          }
          liveness_probe {
            http_get {
              path = "/api/health"
              port = 5000
            }
          }
          readiness_probe {
            http_get {
              path = "/api/health"
              port = 5000
            }
          }
          resources {
            requests = { cpu = "100m", memory = "128Mi" }
            limits   = { cpu = "500m", memory = "256Mi" }
          }
          security_context {
            allow_privilege_escalation = false
          }
        }
      }
    }
  }
}
